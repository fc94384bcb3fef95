// newsbot: draw the places listed in the page's [data-places] table on its [data-map] element,
// with tiles from this server. Each marker: the place's name and article count, linking to the
// place's page. Text goes into the page as text nodes only (never as HTML).
// A module (datasette-leaflet ships Leaflet as one): deferred, loaded from this server only.

var LABELLED = 15; // up to this many markers carry their label; more show it on hover

function label(row) {
  var count = Number(row.dataset.count);
  return row.dataset.name + " · " + count + " article" + (count === 1 ? "" : "s");
}

function popup(row) {
  var link = document.createElement("a");
  link.href = row.dataset.href;
  link.textContent = label(row);
  return link;
}

function tooltip(row) {
  var span = document.createElement("span");
  span.textContent = label(row);
  return span;
}

function draw(L, el, rows) {
  var maxZoom = Number(el.dataset.maxZoom);
  var map = L.map(el, { maxZoom: maxZoom, worldCopyJump: true });
  L.tileLayer(el.dataset.tiles, {
    minZoom: 0,
    maxZoom: maxZoom,
    attribution: "© OpenStreetMap contributors",
  }).addTo(map);
  var labelled = rows.length <= LABELLED;
  var most = Math.max.apply(null, rows.map(function (r) { return Number(r.dataset.count); }));
  var points = rows.map(function (row) {
    var point = [Number(row.dataset.lat), Number(row.dataset.lon)];
    var share = Math.sqrt(Number(row.dataset.count) / most);
    L.circleMarker(point, { radius: 6 + 14 * share, weight: 2, fillOpacity: 0.5 })
      .bindTooltip(tooltip(row), { permanent: labelled, direction: "right" })
      .bindPopup(popup(row))
      .addTo(map);
    return point;
  });
  if (points.length === 1) {
    map.setView(points[0], Math.min(5, maxZoom));
  } else {
    map.fitBounds(points, { padding: [30, 30], maxZoom: Math.min(5, maxZoom) });
  }
}

var el = document.querySelector("[data-map]");
var rows = Array.prototype.slice.call(document.querySelectorAll("[data-places] tr[data-lat]"));
if (el && rows.length > 0) {
  import(el.dataset.leaflet).then(function (L) { draw(L, el, rows); });
}
