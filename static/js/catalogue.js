/* Progressive enhancement only: every page works without this file.
   - The sort select and the "recruiting only" box submit their form on change.
   - Empty text boxes are left out of the submitted URL, so links stay short.
   - The search box suggests diseases, targets and products as one types
     (GET /api/suggest/?q=, into the box's <datalist>); the form works the same without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function suggestions(input) {
    var list = document.getElementById(input.id + "-suggestions");
    var url = input.getAttribute("data-suggest");
    if (!list || !url || !window.fetch) return;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (q === asked) return;
        asked = q;
        if (!q) { list.textContent = ""; return; }
        window.fetch(url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) {
            if (!body || body.q !== asked) return;  // an older answer
            list.textContent = "";
            body.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.value;
              option.label = s.label + " — " + s.kind + (s.count ? ", " + s.count + " trials" : "");
              option.textContent = option.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* no suggestions: the box still searches */ });
      }, 150);
    });
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), suggestions);
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
