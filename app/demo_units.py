"""The demo's units: a merged province and the two provinces it was made of (data only).

On 1 July 2025 Vietnam merged 63 provinces into 34 and abolished the district level. The demo
follows one real merger: the new Hưng Yên is the old Hưng Yên and the old Thái Bình. Its open wave
rates today's units (departments, communes and wards, central agencies); closed waves of 2023
and 2024 rated the old provinces' departments, district committees and communes or wards. The
lineage (``LINEAGE``) says where each old unit's transactions went: old departments and most old
wards merge whole into one new unit (share 1: an exact re-aggregation), district committees and
a few wards are split with shares (a modelled one). Commune and ward names follow the real
reorganisation loosely: this is demo data, not the official list.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PROVINCE = ("Hưng Yên", "Hưng Yên")  # the merged province (name_vi, name_en)
MERGED_ON = date(2025, 7, 1)  # the new units' first day; the old units' last is the day before

BLOCKS = [
    ("departments", "Sở, ban, ngành", "Departments and boards"),
    ("communes", "UBND cấp xã", "Commune People's Committees"),
    ("central", "Cơ quan ngành dọc Trung ương", "Central agencies in the province"),
    ("districts", "UBND cấp huyện (trước 7/2025)", "District People's Committees (before July 2025)"),
]
LEVEL_OF_BLOCK = {"departments": "department", "communes": "commune", "central": "department",
                  "districts": "district"}

# Today's units, rated by the open wave `demo`: (block, code, name_vi, name_en)
AGENCIES = [
    ("departments", "SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("departments", "STP", "Sở Tư pháp", "Department of Justice"),
    ("departments", "SKHDT", "Sở Kế hoạch và Đầu tư", "Department of Planning and Investment"),
    ("departments", "STC", "Sở Tài chính", "Department of Finance"),
    ("departments", "SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("departments", "SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", "Department of Agriculture and Rural Development"),
    ("departments", "SGTVT", "Sở Giao thông vận tải", "Department of Transport"),
    ("departments", "SXD", "Sở Xây dựng", "Department of Construction"),
    ("departments", "STNMT", "Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment"),
    ("departments", "STTTT", "Sở Thông tin và Truyền thông", "Department of Information and Communications"),
    ("departments", "SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "Department of Labour, Invalids and Social Affairs"),
    ("departments", "SVHTT", "Sở Văn hóa và Thể thao", "Department of Culture and Sports"),
    ("departments", "SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("departments", "SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("departments", "SYT", "Sở Y tế", "Department of Health"),
    ("departments", "SDL", "Sở Du lịch", "Department of Tourism"),
    ("departments", "BQLKKT", "Ban Quản lý Khu kinh tế", "Economic Zone Authority"),
    ("departments", "BDT", "Ban Dân tộc", "Ethnic Minorities Committee"),
    ("departments", "TTT", "Thanh tra tỉnh", "Provincial Inspectorate"),
    ("departments", "VPUBND", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee"),
    ("communes", "PHOHIEN", "UBND phường Phố Hiến", "Phố Hiến Ward People's Committee"),
    ("communes", "SONNAM", "UBND phường Sơn Nam", "Sơn Nam Ward People's Committee"),
    ("communes", "HONGCHAU", "UBND phường Hồng Châu", "Hồng Châu Ward People's Committee"),
    ("communes", "MYHAO", "UBND phường Mỹ Hào", "Mỹ Hào Ward People's Committee"),
    ("communes", "DUONGHAO", "UBND phường Đường Hào", "Đường Hào Ward People's Committee"),
    ("communes", "TIENLU", "UBND xã Tiên Lữ", "Tiên Lữ Commune People's Committee"),
    ("communes", "KHOAICHAU", "UBND xã Khoái Châu", "Khoái Châu Commune People's Committee"),
    ("communes", "THAIBINH", "UBND phường Thái Bình", "Thái Bình Ward People's Committee"),
    ("communes", "TRANLAM", "UBND phường Trần Lãm", "Trần Lãm Ward People's Committee"),
    ("communes", "TRANHUNGDAO", "UBND phường Trần Hưng Đạo", "Trần Hưng Đạo Ward People's Committee"),
    ("communes", "TRALY", "UBND phường Trà Lý", "Trà Lý Ward People's Committee"),
    ("communes", "VUPHUC", "UBND phường Vũ Phúc", "Vũ Phúc Ward People's Committee"),
    ("communes", "VUTHU", "UBND xã Vũ Thư", "Vũ Thư Commune People's Committee"),
    ("central", "CTHUE", "Cục Thuế tỉnh", "Provincial Tax Department"),
    ("central", "CHQ", "Cục Hải quan tỉnh", "Provincial Customs Department"),
    ("central", "KBNN", "Kho bạc Nhà nước tỉnh", "Provincial State Treasury"),
    ("central", "BHXH", "Bảo hiểm xã hội tỉnh", "Provincial Social Insurance"),
    ("central", "CATINH", "Công an tỉnh", "Provincial Police"),
    ("central", "NHNN", "Ngân hàng Nhà nước chi nhánh tỉnh", "State Bank, provincial branch"),
    ("central", "CTK", "Cục Thống kê tỉnh", "Provincial Statistics Office"),
    ("central", "CQLTT", "Cục Quản lý thị trường tỉnh", "Provincial Market Surveillance Department"),
]
NAMES = {code: (vi, en) for _block, code, vi, en in AGENCIES}


@dataclass(frozen=True)
class OldProvince:
    prefix: str  # of its units' codes and its waves' slugs
    name_vi: str
    name_en: str
    unit_code: str  # the statistics office's province code
    departments: dict[str, str]  # old department's code suffix: today's department (share 1)
    units: list[tuple[str, str, str, str, dict[str, float]]]  # (block, code suffix, vi, en, {new: share})
    shifts: dict[int, float]  # year: its waves' satisfaction relative to today's (the trend)

    def unit_list(self) -> list[tuple[str, str, str, str, dict[str, float]]]:
        """Every old unit: (block, code, name_vi, name_en, successors with shares)."""
        out = [("departments", f"{self.prefix}-{suffix}", f"{NAMES[new][0]} tỉnh {self.name_vi}",
                f"{NAMES[new][1]}, {self.name_en} province", {new: 1.0}) for suffix, new in self.departments.items()]
        return out + [(block, f"{self.prefix}-{suffix}", vi, en, successors)
                      for block, suffix, vi, en, successors in self.units]


OLD_PROVINCES = [
    OldProvince(
        "HY", "Hưng Yên (cũ)", "former Hưng Yên", "33",
        {"SNV": "SNV", "STP": "STP", "STC": "STC", "SKHDT": "SKHDT", "SCT": "SCT", "SXD": "SXD", "STNMT": "STNMT",
         "SYT": "SYT", "SGDDT": "SGDDT", "SNNPTNT": "SNNPTNT", "SKHCN": "SKHCN"},
        [("districts", "TPHUNGYEN", "UBND thành phố Hưng Yên", "Hưng Yên City People's Committee",
          {"PHOHIEN": 0.45, "SONNAM": 0.3, "HONGCHAU": 0.25}),
         ("districts", "TXMYHAO", "UBND thị xã Mỹ Hào", "Mỹ Hào Town People's Committee",
          {"MYHAO": 0.6, "DUONGHAO": 0.4}),
         ("communes", "LELOI", "UBND phường Lê Lợi", "Lê Lợi Ward People's Committee", {"PHOHIEN": 1.0}),
         ("communes", "MINHKHAI", "UBND phường Minh Khai", "Minh Khai Ward People's Committee", {"PHOHIEN": 1.0}),
         ("communes", "HIENNAM", "UBND phường Hiến Nam", "Hiến Nam Ward People's Committee",
          {"PHOHIEN": 0.6, "SONNAM": 0.4}),
         ("communes", "ANTAO", "UBND phường An Tảo", "An Tảo Ward People's Committee", {"HONGCHAU": 1.0}),
         ("communes", "BANYENNHAN", "UBND phường Bần Yên Nhân", "Bần Yên Nhân Ward People's Committee",
          {"MYHAO": 1.0}),
         ("communes", "DISU", "UBND phường Dị Sử", "Dị Sử Ward People's Committee", {"DUONGHAO": 1.0}),
         ("communes", "TTVUONG", "UBND thị trấn Vương", "Vương Township People's Committee", {"TIENLU": 1.0}),
         ("communes", "TTKHOAICHAU", "UBND thị trấn Khoái Châu", "Khoái Châu Township People's Committee",
          {"KHOAICHAU": 1.0})],
        {2023: -0.35, 2024: -0.2}),
    OldProvince(
        "TB", "Thái Bình", "Thái Bình", "34",
        {"SNV": "SNV", "STP": "STP", "STC": "STC", "SKHDT": "SKHDT", "SCT": "SCT", "SXD": "SXD", "STNMT": "STNMT",
         "SYT": "SYT", "SGDDT": "SGDDT", "SNNPTNT": "SNNPTNT", "BQLKKT": "BQLKKT"},
        [("districts", "TPTHAIBINH", "UBND thành phố Thái Bình", "Thái Bình City People's Committee",
          {"THAIBINH": 0.35, "TRANLAM": 0.25, "TRANHUNGDAO": 0.2, "TRALY": 0.2}),
         ("districts", "HVUTHU", "UBND huyện Vũ Thư", "Vũ Thư District People's Committee",
          {"VUTHU": 0.7, "VUPHUC": 0.3}),
         ("communes", "LEHONGPHONG", "UBND phường Lê Hồng Phong", "Lê Hồng Phong Ward People's Committee",
          {"THAIBINH": 1.0}),
         ("communes", "DETHAM", "UBND phường Đề Thám", "Đề Thám Ward People's Committee", {"THAIBINH": 1.0}),
         ("communes", "TRANLAM", "UBND phường Trần Lãm", "Trần Lãm Ward People's Committee", {"TRANLAM": 1.0}),
         ("communes", "HOANGDIEU", "UBND phường Hoàng Diệu", "Hoàng Diệu Ward People's Committee",
          {"TRANHUNGDAO": 0.55, "TRALY": 0.45}),
         ("communes", "TIENPHONG", "UBND phường Tiền Phong", "Tiền Phong Ward People's Committee", {"TRALY": 1.0}),
         ("communes", "PHUKHANH", "UBND phường Phú Khánh", "Phú Khánh Ward People's Committee",
          {"TRANHUNGDAO": 1.0}),
         ("communes", "TTVUTHU", "UBND thị trấn Vũ Thư", "Vũ Thư Township People's Committee", {"VUTHU": 1.0}),
         ("communes", "VUPHUC", "UBND xã Vũ Phúc", "Vũ Phúc Commune People's Committee", {"VUPHUC": 1.0})],
        {2023: -0.45, 2024: -0.3}),
]


def lineage_rows() -> list[tuple[str, str, float]]:
    """(old code, new code, share) for every old unit of both old provinces."""
    return [(code, new, share) for province in OLD_PROVINCES for _b, code, _vi, _en, successors in province.unit_list()
            for new, share in successors.items()]


def lineage_csv(rows: list[tuple[str, str, float]]) -> str:
    """The file `flask agencies reorganise` reads (app/programme/reorganise.py)."""
    lines = ["old_code,new_code,share,effective_on"]
    lines += [f"{old},{new},{share:g},{MERGED_ON.isoformat()}" for old, new, share in rows]
    return "\n".join(lines) + "\n"
