// Builds the map assets that the catalogue serves from static/ (run by `make maps`):
//  - Leaflet and Leaflet.markercluster, copied from their npm packages (source-map comments
//    dropped: the maps are not shipped, and Django's manifest storage would look for them);
//  - static/maps/countries.geojson: Natural Earth country outlines (world-atlas, 1:110m),
//    converted from TopoJSON to GeoJSON, simplified and rounded to 0.01° (about 1 km). Countries
//    too small for the 1:110m outlines (Singapore, Hong Kong, Malta...) come from the 1:50m set as
//    one Point each, so that the world map can still show them.
// The output is committed: the server and the tests need no node.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature } from "topojson-client";
import { presimplify, quantile, simplify } from "topojson-simplify";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const statics = join(here, "..", "..", "static");
const PRECISION = 100; // 0.01 degree
const KEEP = 0.5; // the share of the outline points that simplification keeps (by weight)

function read(path) {
  return readFileSync(join(modules, path), "utf8");
}

function copy(from, to, { stripSourceMap = false } = {}) {
  mkdirSync(dirname(to), { recursive: true });
  if (!stripSourceMap) {
    copyFileSync(join(modules, from), to);
    return;
  }
  const text = read(from).replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
  writeFileSync(to, text);
}

function vendor() {
  const leaflet = join(statics, "vendor", "leaflet");
  copy("leaflet/dist/leaflet.js", join(leaflet, "leaflet.js"), { stripSourceMap: true });
  copy("leaflet/dist/leaflet.css", join(leaflet, "leaflet.css"));
  copy("leaflet/LICENSE", join(leaflet, "LICENSE"));
  for (const image of readdirSync(join(modules, "leaflet/dist/images"))) {
    copy(`leaflet/dist/images/${image}`, join(leaflet, "images", image));
  }
  const cluster = join(statics, "vendor", "leaflet.markercluster");
  copy("leaflet.markercluster/dist/leaflet.markercluster.js", join(cluster, "leaflet.markercluster.js"), {
    stripSourceMap: true,
  });
  copy("leaflet.markercluster/dist/MarkerCluster.css", join(cluster, "MarkerCluster.css"));
  copy("leaflet.markercluster/MIT-LICENCE.txt", join(cluster, "LICENSE"));
}

function round(value) {
  return Math.round(value * PRECISION) / PRECISION;
}

function roundPositions(coords) {
  // A position is [lon, lat] (presimplify adds a weight as a third value: dropped here).
  if (typeof coords[0] === "number") return [round(coords[0]), round(coords[1])];
  return coords.map(roundPositions);
}

function unwrap(ring) {
  // A ring that crosses the antimeridian jumps from +180 to -180: carry on past 180 instead,
  // so that a flat (Web Mercator) map draws it whole rather than as a band across the world.
  let shift = 0;
  return ring.map((p, i) => {
    if (i > 0) {
      const step = p[0] - ring[i - 1][0];
      if (step > 180) shift -= 360;
      else if (step < -180) shift += 360;
    }
    return [round(p[0] + shift), p[1]];
  });
}

function dropRepeats(ring) {
  return ring.filter((p, i) => i === 0 || p[0] !== ring[i - 1][0] || p[1] !== ring[i - 1][1]);
}

function cleanPolygon(rings) {
  return rings.map((ring) => dropRepeats(unwrap(ring))).filter((ring) => ring.length >= 4);
}

function outline(geometry) {
  const coordinates = roundPositions(geometry.coordinates);
  if (geometry.type === "Polygon") {
    const rings = cleanPolygon(coordinates);
    return rings.length ? { type: "Polygon", coordinates: rings } : null;
  }
  const polygons = coordinates.map(cleanPolygon).filter((rings) => rings.length);
  return polygons.length ? { type: "MultiPolygon", coordinates: polygons } : null;
}

function ringArea(ring) {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return Math.abs(sum / 2);
}

function centre(geometry) {
  // The middle of the bounding box of the country's largest polygon: good enough for a dot.
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  const largest = polygons.reduce((a, b) => (ringArea(b[0]) > ringArea(a[0]) ? b : a));
  const xs = largest[0].map((p) => p[0]);
  const ys = largest[0].map((p) => p[1]);
  return [round((Math.min(...xs) + Math.max(...xs)) / 2), round((Math.min(...ys) + Math.max(...ys)) / 2)];
}

function countries() {
  const coarse = presimplify(JSON.parse(read("world-atlas/countries-110m.json")));
  const simplified = simplify(coarse, quantile(coarse, 1 - KEEP));
  const features = [];
  const seen = new Set();
  for (const f of feature(simplified, simplified.objects.countries).features) {
    if (f.properties.name === "Antarctica" || !f.geometry) continue; // no trial sites there
    const geometry = outline(f.geometry);
    if (!geometry) continue;
    seen.add(f.properties.name);
    features.push({ type: "Feature", id: f.id ?? null, properties: { name: f.properties.name }, geometry });
  }
  const fine = JSON.parse(read("world-atlas/countries-50m.json"));
  for (const f of feature(fine, fine.objects.countries).features) {
    if (seen.has(f.properties.name) || !f.geometry || f.properties.name === "Antarctica") continue;
    features.push({
      type: "Feature",
      id: f.id ?? null,
      properties: { name: f.properties.name, small: true },
      geometry: { type: "Point", coordinates: centre(f.geometry) },
    });
  }
  features.sort((a, b) => a.properties.name.localeCompare(b.properties.name, "en"));
  const out = join(statics, "maps", "countries.geojson");
  mkdirSync(dirname(out), { recursive: true });
  const collection = {
    type: "FeatureCollection",
    source: "Natural Earth via world-atlas 2.0.2 (countries-110m; small countries as points from countries-50m)",
    features,
  };
  writeFileSync(out, JSON.stringify(collection) + "\n");
  copy("world-atlas/LICENSE", join(statics, "maps", "LICENSE-world-atlas"));
  return features.length;
}

vendor();
console.log(`static/maps/countries.geojson: ${countries()} countries`);
