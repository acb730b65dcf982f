# Reference values for tests/analysis/test_domain_df.py (R 4.x, survey 4.1.1):
#   Rscript tests/analysis/data/domain_df.R
# Per-agency intervals from svyby(..., svyciprop): each domain's df is degf() of its subset
# design, #PSU - #strata among the PSUs and strata holding the domain.
suppressMessages(library(survey))
options(digits = 15)
d <- read.csv("domain_df.csv")
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
show <- function(tab) print(as.data.frame(tab), digits = 15)
for (m in c("logit", "beta")) {
  cat("q1", m, "\n")
  show(svyby(~I(q1 >= 4), ~agency, des, svyciprop, method = m, vartype = c("se", "ci")))
}
cat("q2 logit\n")
show(svyby(~I(q2 >= 4), ~agency, des, svyciprop, method = "logit", vartype = c("se", "ci"), na.rm = TRUE))
cat("whole q1\n")
for (m in c("logit", "beta")) print(attr(svyciprop(~I(q1 >= 4), des, method = m), "ci"), digits = 15)
cat("degf\n")
print(sapply(c("A", "B", "C", "D"), function(a) degf(subset(des, agency == a))))
cat("rowwise q1\n")  # each respondent its own PSU, strata = stratum
des1 <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = d)
for (m in c("logit", "beta")) show(svyby(~I(q1 >= 4), ~agency, des1, svyciprop, method = m, vartype = "ci"))
