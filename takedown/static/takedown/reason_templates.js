// The case page's reason templates: choosing one fills the explanation with its
// text (placeholders already filled by the server) and picks its decision.
// Text the moderator typed is replaced only after they confirm.
(function () {
  "use strict";

  function setUp(select) {
    var area = document.getElementById(select.dataset.reasonTemplateFor);
    if (!area) {
      return;
    }
    var filled = "";
    select.addEventListener("change", function () {
      var option = select.selectedOptions[0];
      if (!option || !option.value) {
        return;
      }
      var typed = area.value.trim();
      if (typed && typed !== filled.trim() && !window.confirm(select.dataset.confirm || "Replace the text you wrote?")) {
        return;
      }
      filled = option.dataset.text || "";
      area.value = filled;
      var radio = select.form.querySelector('input[name="action"][value="' + option.dataset.action + '"]');
      if (radio) {
        radio.checked = true;
      }
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function init() {
    document.querySelectorAll("select[data-reason-template-for]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
