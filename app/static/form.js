/* Progressive enhancement for the questionnaire: show and hide conditional questions at once,
   mirroring the server's show_if rules (survey_definitions/conditions.py). Without this script
   the server asks the revealed question on a second pass of the same page. */
(function () {
  "use strict";

  function num(v) { return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v; }

  function answerOf(form, known, code) {
    var inputs = form.querySelectorAll("[name='" + code + "']");
    if (!inputs.length) { return Object.prototype.hasOwnProperty.call(known, code) ? known[code] : null; }
    var out = [], multiple = false;
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.disabled) { continue; }
      if (el.type === "checkbox") { multiple = true; if (el.checked) { out.push(num(el.value)); } }
      else if (el.type === "radio") { if (el.checked) { return num(el.value); } }
      else if (el.value.trim() !== "") { return num(el.value.trim()); }
    }
    return multiple && out.length ? out : null;
  }

  function blank(v) { return v === null || v === "" || (Array.isArray(v) && !v.length); }

  function holds(cond, get) {
    if (!cond) { return true; }
    if (cond.all) { return cond.all.every(function (c) { return holds(c, get); }); }
    if (cond.any) { return cond.any.some(function (c) { return holds(c, get); }); }
    if (cond.not) { return !holds(cond.not, get); }
    var answer = get(cond.question);
    if ("answered" in cond) { return !blank(answer) === Boolean(cond.answered); }
    if (blank(answer)) { return false; }
    var wanted = "equals" in cond ? [cond.equals] : cond["in"];
    var given = Array.isArray(answer) ? answer : [answer];
    return given.some(function (a) { return wanted.indexOf(a) !== -1; });
  }

  function setUp(form) {
    var known = JSON.parse(form.getAttribute("data-known") || "{}");
    var shownField = form.querySelector("input[name='_shown']");
    var blocks = form.querySelectorAll(".question");
    function get(code) { return answerOf(form, known, code); }
    function update() {
      var shown = [];
      for (var i = 0; i < blocks.length; i++) {
        var block = blocks[i], rule = block.getAttribute("data-show-if");
        if (rule) {
          var visible = holds(JSON.parse(rule), get);
          block.hidden = !visible;
          var inputs = block.querySelectorAll("input, textarea, select");
          for (var j = 0; j < inputs.length; j++) { inputs[j].disabled = !visible; }
        }
        if (!block.hidden) { shown.push(block.id.slice(2)); }
      }
      if (shownField) { shownField.value = shown.join(" "); }
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  function kiosk() {
    var back = document.querySelector("[data-return-after]");
    if (back) {
      window.setTimeout(function () { window.location.assign(back.href); },
        1000 * Number(back.getAttribute("data-return-after")));
    }
    var reset = document.querySelector("form[data-idle-reset]");
    if (reset) {
      var limit = 1000 * Number(reset.getAttribute("data-idle-reset")), timer = null;
      var arm = function () { window.clearTimeout(timer); timer = window.setTimeout(function () { reset.submit(); }, limit); };
      ["pointerdown", "keydown", "input", "scroll"].forEach(function (e) { document.addEventListener(e, arm, true); });
      arm();
    }
  }

  var forms = document.querySelectorAll("form[data-survey]");
  for (var i = 0; i < forms.length; i++) { setUp(forms[i]); }
  kiosk();
}());
