// Street maps where the node has tiles (the map_tiles setting). Each .mapframe holds the
// offline SVG map and, in data-tilemap, the tile URL template, its credit and the cameras.
// Leaflet (vendored: /static/leaflet.js) draws them over the operator's tiles out of sight;
// the street map replaces the SVG only once a first tile has loaded. If every tile of the
// first view fails, or none loads within a few seconds (offline, wrong URL, server down), the
// SVG stays. Frames the alert stream adds later are drawn too. Without script: the SVG.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var WAIT_MS = 8000;
  var EARTH = 40075016.686; // metres round the equator

  function wedge(map, lat, lon, bearing) {
    // a 40° sector 26 px long at any zoom (the SVG map draws 16 px of a smaller map)
    var cos = Math.cos(lat * Math.PI / 180);
    var metres = 26 * EARTH * cos / Math.pow(2, map.getZoom() + 8);
    var points = [[lat, lon]];
    for (var d = -20; d <= 20; d += 5) {
      var a = (bearing + d) * Math.PI / 180;
      points.push([lat + metres * Math.cos(a) / 111320,
                   lon + metres * Math.sin(a) / (111320 * cos)]);
    }
    return points;
  }

  function draw(frame) {
    if (frame.dataset.map !== "svg" || frame.dataset.fallback) { return; }
    var data = JSON.parse(frame.dataset.tilemap);
    var box = frame.querySelector(".tilemap");
    frame.dataset.map = "loading";
    var map = L.map(box, { scrollWheelZoom: false });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    var at = {};
    var bounds = L.latLngBounds([]);
    data.cameras.forEach(function (c) { at[c.id] = [c.lat, c.lon]; bounds.extend(at[c.id]); });
    var areas = data.areas || []; // coverage cells: [[south, west], [north, east]]
    areas.forEach(function (a) { bounds.extend([a.south, a.west]); bounds.extend([a.north, a.east]); });
    map.fitBounds(bounds.pad(0.05), { padding: [24, 24], maxZoom: 16 });

    var shown = false;
    var timer = null;
    function fallBack(why) {
      if (shown || frame.dataset.fallback) { return; }
      clearTimeout(timer);
      map.remove();
      box.remove(); // nothing of the street map stays on the page
      frame.dataset.map = "svg";
      frame.dataset.fallback = why;
    }
    var layer = L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 19 });
    layer.on("tileload", function () {
      if (shown || frame.dataset.fallback) { return; }
      shown = true;
      clearTimeout(timer);
      frame.dataset.map = "tiles";
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", data.label);
    });
    layer.on("load", function () { if (!shown) { fallBack("no tile could be loaded"); } });
    timer = setTimeout(function () { fallBack("no tile within " + WAIT_MS / 1000 + " s"); },
                       WAIT_MS);
    layer.addTo(map);

    areas.forEach(function (a) {
      L.rectangle([[a.south, a.west], [a.north, a.east]], { className: a.css })
        .bindTooltip(a.label).addTo(map);
    });
    var track = [];
    data.track.forEach(function (id, i) {
      if (at[id] && (i === 0 || data.track[i - 1] !== id)) { track.push(at[id]); }
    });
    if (track.length > 1) { L.polyline(track, { className: "track", interactive: false }).addTo(map); }
    var wedges = [];
    data.cameras.forEach(function (c) {
      if (c.direction !== null && c.direction !== undefined) {
        var w = L.polygon(wedge(map, c.lat, c.lon, c.direction),
                          { className: c.css + " wedge", interactive: false }).addTo(map);
        wedges.push([w, c]);
      }
    });
    data.cameras.forEach(function (c) {
      var big = / here/.test(c.css) || c.numbers;
      var dot = L.circleMarker(at[c.id], { className: c.css, radius: big ? 8 : 5 }).addTo(map);
      dot.bindTooltip(c.label);
      if (c.numbers) {
        L.tooltip({ permanent: true, direction: "right", className: "stop-label", offset: [8, 0] })
          .setLatLng(at[c.id]).setContent(c.numbers).addTo(map);
      }
    });
    map.on("zoomend", function () {
      wedges.forEach(function (pair) {
        var c = pair[1];
        pair[0].setLatLngs(wedge(map, c.lat, c.lon, c.direction));
      });
    });
  }

  // a map is drawn (and its tiles asked for) only as it comes near the screen: a long alert
  // queue does not fetch tiles for every card at once
  var near = typeof IntersectionObserver === "undefined" ? null :
    new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { near.unobserve(entry.target); draw(entry.target); }
      });
    }, { rootMargin: "300px" });
  function drawAll(root) {
    root.querySelectorAll(".mapframe[data-tilemap]").forEach(function (frame) {
      if (near) { near.observe(frame); } else { draw(frame); }
    });
  }
  drawAll(document);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) { if (node.querySelectorAll) { drawAll(node); } });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
