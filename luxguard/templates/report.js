(function () {
  "use strict";
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var findings = Array.prototype.slice.call(document.querySelectorAll("#findings .finding"));
  var shown = document.getElementById("shown-count");
  var none = document.getElementById("no-match");
  function apply() {
    var count = 0;
    findings.forEach(function (finding) {
      var visible = selects.every(function (select) {
        return select.value === "" || finding.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
      });
      finding.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
    none.hidden = count !== 0;
  }
  selects.forEach(function (select) { select.addEventListener("change", apply); });
  var reset = document.getElementById("reset-filters");
  reset.addEventListener("click", function () {
    selects.forEach(function (select) { select.value = ""; });
    apply();
  });
  apply();
}());
