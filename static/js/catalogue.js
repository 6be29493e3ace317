/* Progressive enhancement only: every page works without this file.
   - The sort select and the "recruiting only" box submit their form on change.
   - Empty text boxes are left out of the submitted URL, so links stay short.
   - Under 900 px the facets are a drawer: without this file it opens by its #facets anchor
     (CSS :target); with it, as a modal panel (focus kept inside, Escape closes).
   - A tap on a facet keeps the reader's place: the new page opens scrolled so that the tapped
     facet is where it was (inside the drawer when the drawer was open). Without this file the
     facet links' #results anchor opens the new page at the results, not at the top.
   - The search box suggests diseases, targets and products as one types
     (GET /api/suggest/?q=, into the box's <datalist>); the form works the same without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var PLACE_KEY = "catalogue:place";
  var NARROW = window.matchMedia ? window.matchMedia("(max-width: 899.98px)") : null;

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

  function autosubmit() {
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
  }

  // --- the facet drawer (narrow screens) ---------------------------------------------------
  var drawer = null;
  var toggle = null;
  var inerted = [];

  function narrow() {
    return NARROW ? NARROW.matches : window.innerWidth < 900;
  }

  function setInert(on) {
    // Everything but the drawer (and its ancestors) is inert while it is open.
    inerted.forEach(function (el) { el.inert = false; el.removeAttribute("aria-hidden"); });
    inerted = [];
    if (!on) return;
    for (var node = drawer; node && node !== document.body; node = node.parentElement) {
      Array.prototype.forEach.call(node.parentElement.children, function (sibling) {
        if (sibling !== node && sibling.tagName !== "SCRIPT" && !sibling.inert) {
          sibling.inert = true;
          sibling.setAttribute("aria-hidden", "true");
          inerted.push(sibling);
        }
      });
    }
  }

  function openDrawer(focus) {
    if (!drawer) return;
    drawer.classList.add("is-open");
    drawer.setAttribute("role", "dialog");
    drawer.setAttribute("aria-modal", "true");
    document.documentElement.classList.add("has-drawer");
    if (toggle) toggle.setAttribute("aria-expanded", "true");
    setInert(true);
    if (focus) drawer.focus({ preventScroll: true });
  }

  function closeDrawer(focusToggle) {
    if (!drawer || !drawer.classList.contains("is-open")) return;
    drawer.classList.remove("is-open");
    drawer.removeAttribute("role");
    drawer.removeAttribute("aria-modal");
    document.documentElement.classList.remove("has-drawer");
    if (toggle) toggle.setAttribute("aria-expanded", "false");
    setInert(false);
    if (focusToggle && toggle) toggle.focus();
  }

  function drawerSetup() {
    drawer = document.querySelector("[data-drawer]");
    toggle = document.querySelector("[data-drawer-toggle]");
    if (!drawer || !toggle) return;
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function (event) {
      if (!narrow()) return;
      event.preventDefault();
      openDrawer(true);
    });
    Array.prototype.forEach.call(drawer.querySelectorAll("[data-drawer-close]"), function (link) {
      link.addEventListener("click", function () {
        // The link itself goes on to #results (which also ends a no-JS :target drawer).
        closeDrawer(false);
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && drawer.classList.contains("is-open")) {
        event.preventDefault();
        closeDrawer(true);
      }
    });
    if (NARROW && NARROW.addEventListener) {
      NARROW.addEventListener("change", function () { if (!narrow()) closeDrawer(false); });
    }
  }

  // --- keeping the reader's place across a facet tap ----------------------------------------
  function withoutHash(url) {
    var i = url.indexOf("#");
    return i < 0 ? url : url.slice(0, i);
  }

  function keepPlaceOnClick(event) {
    var link = event.target.closest ? event.target.closest("a[data-keep-place]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var inDrawer = !!(drawer && drawer.classList.contains("is-open") && drawer.contains(link));
    var fallback = document.getElementById(link.getAttribute("data-anchor-fallback") || "");
    var place = {
      url: withoutHash(link.href),
      anchor: link.getAttribute("data-anchor") || "",
      fallback: link.getAttribute("data-anchor-fallback") || "",
      top: link.getBoundingClientRect().top,
      fallbackTop: fallback ? fallback.getBoundingClientRect().top : null,
      drawer: inDrawer,
      time: Date.now()
    };
    try {
      window.sessionStorage.setItem(PLACE_KEY, JSON.stringify(place));
    } catch (err) {
      return; // no storage: the link's own #results anchor does the job
    }
    event.preventDefault();
    window.location.assign(place.url);
  }

  function findAnchor(name) {
    var links = document.querySelectorAll("a[data-anchor]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-anchor") === name) return links[i];
    }
    return null;
  }

  function restorePlace() {
    var place = null;
    try {
      place = JSON.parse(window.sessionStorage.getItem(PLACE_KEY) || "null");
      window.sessionStorage.removeItem(PLACE_KEY);
    } catch (err) {
      return;
    }
    if (!place || place.url !== withoutHash(window.location.href) || Date.now() - place.time > 60000) return;
    if (place.drawer && narrow()) openDrawer(false);
    var target = place.anchor ? findAnchor(place.anchor) : null;
    var top = place.top;
    if (!target && place.fallback) {
      target = document.getElementById(place.fallback);
      top = place.fallbackTop;
    }
    if (!target || top === null) return;
    var details = target.closest("details");
    if (details && !details.open) details.open = true;
    var delta = target.getBoundingClientRect().top - top;
    if (place.drawer && drawer && drawer.classList.contains("is-open")) drawer.scrollTop += delta;
    else window.scrollBy(0, delta);
  }

  // On a phone the boxes below the search start folded when none of them is set.
  function foldMoreFilters() {
    if (!narrow()) return;
    Array.prototype.forEach.call(document.querySelectorAll("details[data-more-filters]"), function (details) {
      var set = Array.prototype.some.call(details.querySelectorAll("input, select"), function (input) {
        if (input.type === "checkbox") return input.checked;
        if (input.tagName === "SELECT") return input.selectedIndex > 0 && input.name !== "sort" && input.name !== "within_km";
        return !!input.value;
      });
      if (!set) details.open = false;
    });
    if (NARROW && NARROW.addEventListener) {
      NARROW.addEventListener("change", function () {
        // On a wide screen the boxes have no summary to open them by: show them.
        if (narrow()) return;
        Array.prototype.forEach.call(document.querySelectorAll("details[data-more-filters]"), function (d) {
          d.open = true;
        });
      });
    }
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), suggestions);
    foldMoreFilters();
    autosubmit();
    drawerSetup();
    document.addEventListener("click", keepPlaceOnClick);
    restorePlace();
  });
})();
