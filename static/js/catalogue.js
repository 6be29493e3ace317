/* Progressive enhancement only: every page works without this file.
   - The sort select and the "recruiting only" box submit their form on change.
   - Empty text boxes are left out of the submitted URL, so links stay short. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var forms = document.querySelectorAll("form[data-autosubmit]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("change", function (event) {
        var target = event.target;
        if (target && target.hasAttribute("data-autosubmit-change")) {
          if (typeof form.requestSubmit === "function") form.requestSubmit();
          else form.submit();
        }
      });
      form.addEventListener("submit", function () {
        var inputs = form.querySelectorAll("input[type=text], input[type=search], select");
        Array.prototype.forEach.call(inputs, function (input) {
          if (!input.value) input.disabled = true;
        });
        // Re-enable after the browser has read the form (back/forward cache).
        window.setTimeout(function () {
          Array.prototype.forEach.call(inputs, function (input) { input.disabled = false; });
        }, 0);
      });
    });
  });
})();
