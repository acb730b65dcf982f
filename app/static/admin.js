// Administration pages: progressive enhancements only (every page works without this file).
document.addEventListener("DOMContentLoaded", function () {
  var print = document.getElementById("print-sheet");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
});
