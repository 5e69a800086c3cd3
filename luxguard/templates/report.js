(function () {
  "use strict";
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("#findings .group"));
  var shown = document.getElementById("shown-count");
  var none = document.getElementById("no-match");
  var status = document.getElementById("filter-status");
  function matches(finding) {
    return selects.every(function (select) {
      return select.value === "" || finding.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
    });
  }
  function apply() {
    var count = 0;
    var filtered = selects.some(function (select) { return select.value !== ""; });
    groups.forEach(function (group) {
      var inGroup = 0;
      Array.prototype.slice.call(group.querySelectorAll(".finding")).forEach(function (finding) {
        var visible = matches(finding);
        finding.hidden = !visible;
        if (visible) { inGroup += 1; }
      });
      group.querySelector(".group-shown").textContent = String(inGroup);
      // The failing section always shows (its "none" is news); others only when something matches.
      group.hidden = filtered && inGroup === 0 && group.getAttribute("data-group") !== "fail";
      count += inGroup;
    });
    var passes = document.getElementById("group-pass");
    if (passes && status && status.value === "pass") { passes.open = true; }
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
