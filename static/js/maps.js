/* The catalogue's maps (Leaflet, vendored in static/vendor). Every map has a plain list beside
   it that says the same; without JavaScript only that list shows.
   - [data-map="sites"]: a trial's sites, coloured by their own recruitment status; the data
     come from a <script type="application/json"> element (data-data).
   - [data-map="results"]: the sites of every trial in the current filter, clustered, each
     linking to its trial; the data come from the JSON endpoint in data-url.
   - [data-map="world"]: trials per country (a choropleth); data in a JSON element.
   The base layer: the tiles of data-tile-url when the site sets MAP_TILE_URL, else the country
   outlines shipped with the app (data-outlines), so that no tile server is needed.
   No inline script or style anywhere (CSP): colours are CSS classes, popups are DOM nodes. */
(function () {
  "use strict";
  if (!window.L || !document.querySelector) return;
  var L = window.L;
  var outlinesCache = {};

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function getJSON(url) {
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status + " for " + url);
        return response.json();
      }
    );
  }

  function embedded(id) {
    var node = id ? document.getElementById(id) : null;
    return node ? JSON.parse(node.textContent) : null;
  }

  function outlines(url) {
    if (!outlinesCache[url]) outlinesCache[url] = getJSON(url);
    return outlinesCache[url];
  }

  function text(tag, className, value) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (value) node.textContent = value;
    return node;
  }

  function escapeText(value) {
    var node = document.createElement("span");
    node.textContent = value || "";
    return node.innerHTML;
  }

  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function newMap(el, options) {
    var fallback = el.querySelector(".map__fallback");
    if (fallback) fallback.parentNode.removeChild(fallback);
    var defaults = { scrollWheelZoom: false, worldCopyJump: false, minZoom: 1 };
    if (still) {
      defaults.fadeAnimation = false;
      defaults.zoomAnimation = false;
      defaults.markerZoomAnimation = false;
    }
    var map = L.map(el, Object.assign(defaults, options || {}));
    map.attributionControl.setPrefix(false);
    map.setView([20, 0], 1); // a view from the start: layers then draw as they are added
    // The outlines arrive last (fetched) but lie under everything else.
    map.createPane("outlines").style.zIndex = 250;
    return map;
  }

  // The base layer; resolves with the outlines' GeoJSON (or null with tiles).
  function baseLayer(map, el, drawOutlines) {
    var tiles = el.getAttribute("data-tile-url");
    if (tiles) {
      L.tileLayer(tiles, {
        attribution: escapeText(el.getAttribute("data-tile-attribution")),
        maxZoom: 18
      }).addTo(map);
    }
    if (tiles && !drawOutlines) return Promise.resolve(null);
    return outlines(el.getAttribute("data-outlines")).then(function (geojson) {
      if (!tiles) {
        L.geoJSON(geojson, {
          filter: function (feature) { return feature.geometry.type !== "Point"; },
          style: function () { return { className: "map-land", weight: 0.6, fillOpacity: 1 }; },
          pane: "outlines",
          interactive: false
        }).addTo(map);
        map.attributionControl.addAttribution("Country outlines: Natural Earth");
      }
      return geojson;
    });
  }

  // --- site markers --------------------------------------------------------------------------
  var LabelledIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var node = L.DivIcon.prototype.createIcon.call(this, old);
      if (this.options.label) node.setAttribute("aria-label", this.options.label);
      return node;
    }
  });

  function statusLabel(data, status) {
    return (data.statuses && data.statuses[status]) || "Status not stated";
  }

  function siteMarker(site, data, trialUrl) {
    // site: [lat, lon, status, trial index (-1: none), institution, place]
    var status = site[2] || "none";
    var label = [site[4] || "Site", site[5]].filter(Boolean).join(", ") + ": " + statusLabel(data, site[2]);
    var marker = L.marker([site[0], site[1]], {
      icon: new LabelledIcon({ className: "site-marker site-marker--" + status, iconSize: [18, 18], html: "", label: label }),
      keyboard: true,
      riseOnHover: true,
      zIndexOffset: site[2] === "recruiting" ? 1000 : 0 // open sites on top of the others
    });
    var popup = text("div", "map-popup");
    popup.appendChild(text("strong", "map-popup__name", site[4] || "Site (institution not stated)"));
    if (site[5]) popup.appendChild(text("div", "map-popup__place", site[5]));
    var statusLine = text("div", "map-popup__status");
    statusLine.appendChild(text("span", "site-dot site-dot--" + status));
    statusLine.appendChild(document.createTextNode(" " + statusLabel(data, site[2])));
    popup.appendChild(statusLine);
    var trial = site[3] >= 0 && data.trials ? data.trials[site[3]] : null;
    if (trial) {
      var link = text("a", "map-popup__trial", trial[0] + ": " + trial[1]);
      link.href = trialUrl.replace("REGISTRY_ID", encodeURIComponent(trial[0]));
      popup.appendChild(link);
    }
    marker.bindPopup(popup, { maxWidth: 280 });
    return marker;
  }

  function fit(map, bounds, maxZoom) {
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: maxZoom });
    else map.setView([20, 0], 1);
  }

  // The place of a near= search and its radius; returns the bounds to show (the radius),
  // or `bounds` unchanged without one.
  function drawNear(map, near, bounds) {
    if (!near) return bounds;
    var centre = L.latLng(near.lat, near.lon);
    L.circleMarker(centre, { radius: 6, className: "map-near-point", interactive: false })
      .bindTooltip(text("span", "", near.label))
      .addTo(map);
    if (!near.km) return bounds;
    L.circle(centre, { radius: near.km * 1000, className: "map-near-radius", interactive: false }).addTo(map);
    return centre.toBounds(near.km * 2000);
  }

  function sitesMap(el) {
    var data = embedded(el.getAttribute("data-data"));
    if (!data || !data.sites || !data.sites.length) return;
    var map = newMap(el, { maxZoom: 12 });
    var bounds = L.latLngBounds([]);
    data.sites.forEach(function (site) {
      siteMarker(site, data, el.getAttribute("data-trial-url")).addTo(map);
      bounds.extend([site[0], site[1]]);
    });
    fit(map, drawNear(map, data.near, bounds), 7);
    return baseLayer(map, el, false).then(function () { el.setAttribute("data-ready", "true"); });
  }

  function resultsMap(el) {
    var map = newMap(el, { maxZoom: 12 });
    var status = document.getElementById(el.id + "-note");
    var loading = status ? status.textContent : "";
    if (status) status.textContent = "Loading the sites…";
    var base = baseLayer(map, el, false);
    var sites = getJSON(el.getAttribute("data-url")).then(function (data) {
      var group = L.markerClusterGroup({
        chunkedLoading: true,
        showCoverageOnHover: false,
        maxClusterRadius: 50,
        iconCreateFunction: function (cluster) {
          var count = cluster.getChildCount();
          var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
          return new LabelledIcon({
            html: "<span>" + count + "</span>",
            className: "site-cluster site-cluster--" + size,
            iconSize: [36, 36],
            label: count + " sites here: press Enter to zoom in"
          });
        }
      });
      group.on("clusterkeypress", function (event) {
        var key = event.originalEvent && (event.originalEvent.key || event.originalEvent.keyCode);
        if (key === "Enter" || key === 13) event.layer.zoomToBounds({ padding: [24, 24] });
      });
      var markers = data.sites.map(function (site) {
        return siteMarker(site, data, el.getAttribute("data-trial-url"));
      });
      group.addLayers(markers);
      group.addTo(map);
      fit(map, drawNear(map, data.near, group.getBounds()), 8);
      if (status) status.textContent = data.note || loading;
      return data;
    });
    return Promise.all([base, sites]).then(function () { el.setAttribute("data-ready", "true"); }, function (error) {
      if (status) status.textContent = "The map could not be loaded; the list below shows the same sites.";
      throw error;
    });
  }

  function worldMap(el) {
    var data = embedded(el.getAttribute("data-data"));
    if (!data) return;
    var map = newMap(el, { maxZoom: 6, minZoom: 0, zoomSnap: 0.25 });
    map.fitBounds([[-50, -165], [72, 175]]);
    return baseLayer(map, el, true).then(function (geojson) {
      var countries = data.countries || {};
      function classFor(feature) {
        var entry = countries[feature.properties.name];
        return entry ? "choropleth choropleth--" + entry[3] : "choropleth choropleth--none";
      }
      function tooltip(feature, layer) {
        var entry = countries[feature.properties.name];
        var name = entry ? entry[1] : feature.properties.name;
        // Names are registry text: a DOM node (never an HTML string) carries them.
        var label = entry ? name + ": " + entry[0] + " trial" + (entry[0] === 1 ? "" : "s") : name + ": none";
        layer.bindTooltip(text("span", "", label), { sticky: true });
        if (entry) {
          layer.on("click", function () { window.location.href = entry[2]; });
        }
      }
      L.geoJSON(geojson, {
        style: function (feature) { return { className: classFor(feature), weight: 0.6, fillOpacity: 1 }; },
        pointToLayer: function (feature, latlng) {
          // Countries too small for the outlines: a dot, shown only when they have trials.
          return L.circleMarker(latlng, { radius: 5, className: classFor(feature) + " choropleth--dot" });
        },
        filter: function (feature) {
          return feature.geometry.type !== "Point" || !!countries[feature.properties.name];
        },
        onEachFeature: tooltip
      }).addTo(map);
      el.setAttribute("data-ready", "true");
    });
  }

  var KINDS = { sites: sitesMap, results: resultsMap, world: worldMap };

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-map]"), function (el) {
      var draw = KINDS[el.getAttribute("data-map")];
      if (!draw) return;
      var done = draw(el);
      if (done && done.catch) {
        done.catch(function (error) {
          el.setAttribute("data-ready", "error");
          if (window.console) window.console.warn("map: " + error.message);
        });
      }
    });
  });
})();
