// Keyboard shortcuts of the moderators' queue and case page.
//
// Queue: j / k move through the cases, Enter opens the one chosen, x selects it
// for a bulk decision, c claims the next case. Case page: r, s, x, i pick the
// decision, t goes to the reason templates, e to the explanation, Ctrl+Enter
// decides, c claims the case, u goes back to the queue. ? opens or closes the
// list of shortcuts (templates/takedown/_shortcuts_help.html).
//
// A single key never fires while the moderator types in a field or uses a
// modifier; only Ctrl+Enter (Cmd+Enter) does, to decide from the explanation.
(function () {
  "use strict";

  // Fields that take text or a choice from the keyboard; checkboxes and radios do not.
  var FIELDS = "textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio])" +
    ":not([type=button]):not([type=submit]):not([type=reset])";

  function typing(target) {
    return Boolean(target && target.closest && target.closest(FIELDS));
  }

  function clickIfThere(selector) {
    var element = document.querySelector(selector);
    if (element && !element.disabled) {
      element.click();
      return true;
    }
    return false;
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts-help");
    if (!help) {
      return false;
    }
    help.open = !help.open;
    if (help.open) {
      help.querySelector("summary").focus();
    }
    return true;
  }

  // Queue ---------------------------------------------------------------------

  function queueKeys(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-case-row]"));
    var current = -1;

    function choose(index) {
      if (!rows.length) {
        return;
      }
      index = Math.max(0, Math.min(rows.length - 1, index));
      if (current >= 0) {
        rows[current].classList.remove("table-active");
        rows[current].removeAttribute("aria-current");
      }
      current = index;
      rows[current].classList.add("table-active");
      rows[current].setAttribute("aria-current", "true");
      rows[current].querySelector("a[data-case-link]").focus();
    }

    return {
      j: function () { choose(current + 1); return true; },
      k: function () { choose(current < 0 ? 0 : current - 1); return true; },
      Enter: function () {
        var focused = document.activeElement;
        var onRow = !focused || focused === document.body || focused.matches("a[data-case-link]");
        if (current < 0 || !onRow) {
          return false;
        }
        window.location.assign(rows[current].querySelector("a[data-case-link]").href);
        return true;
      },
      x: function () {
        var box = current >= 0 ? rows[current].querySelector('input[type="checkbox"]') : null;
        if (!box) {
          return false;
        }
        box.checked = !box.checked;
        return true;
      },
    };
  }

  // Case page -----------------------------------------------------------------

  function pick(action) {
    return function () {
      var radio = document.querySelector('input[name="action"][value="' + action + '"]');
      if (!radio) {
        return false;
      }
      radio.checked = true;
      radio.focus();
      return true;
    };
  }

  function focusOn(id) {
    return function () {
      var element = document.getElementById(id);
      if (!element) {
        return false;
      }
      element.focus();
      return true;
    };
  }

  function caseKeys() {
    return {
      r: pick("remove"),
      s: pick("restrict"),
      x: pick("reject"),
      i: pick("request_info"),
      t: focusOn("id_reason_template"),
      e: focusOn("id_explanation"),
      u: function () { return clickIfThere("a[data-shortcut='u']"); },
    };
  }

  function decide() {
    var form = document.getElementById("decide-form");
    if (!form) {
      return false;
    }
    form.requestSubmit();
    return true;
  }

  function init() {
    var help = document.getElementById("shortcuts-help");
    if (!help) {
      return;
    }
    var table = document.querySelector("table[data-queue-table]");
    var keys = help.dataset.shortcuts === "queue" ? (table ? queueKeys(table) : {}) : caseKeys();
    keys.c = function () { return clickIfThere("[data-shortcut='c']"); };
    keys["?"] = toggleHelp;

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.isComposing) {
        return;
      }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        if (decide()) {
          event.preventDefault();
        }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
        return;
      }
      var handler = keys[event.key];
      if (handler && handler()) {
        event.preventDefault();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
