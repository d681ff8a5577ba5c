// minescan web map: draws the layers listed in window.MINESCAN_MAP (layers/index.js) with
// Leaflet. Small layers arrive as scripts (window.MINESCAN_DATA), large ones as FlatGeobuf
// streamed over HTTP; previews are image overlays; under them an offline Natural Earth
// basemap (lib/basemap), and OpenStreetMap's tiles over it when they load. The page opens on
// the manifest's first region, with a button per region. window.minescanMap exposes what the
// browser test checks (features drawn, layers shown, where they are on the screen).
(function () {
  "use strict";
  const manifest = window.MINESCAN_MAP;
  const inline = window.MINESCAN_DATA || {};
  const map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
  const layers = {};   // key -> Leaflet layer
  const specs = {};    // key -> manifest entry
  const control = L.control.layers(null, null, { collapsed: false, position: "topright" });
  const pending = [];

  function notice(text) {
    const box = document.getElementById("notice");
    const line = document.createElement("div");
    line.textContent = text;
    box.appendChild(line);
    box.hidden = false;
  }

  function swatch(colour, title) {
    const span = document.createElement("span");
    span.className = "swatch";
    span.style.background = colour;
    span.title = title || "";
    return span;
  }

  function styleFor(spec, properties) {
    const style = Object.assign({}, spec.style);
    if (spec.colour_by) {
      const colour = spec.colours[String(properties[spec.colour_by])];
      if (colour) {
        style.color = colour;
        style.fillColor = colour;
      }
    }
    return style;
  }

  // Popups are built as DOM nodes, never from HTML strings: attribute values are data.
  function popup(spec, properties) {
    const table = document.createElement("table");
    table.className = "popup";
    const caption = document.createElement("caption");
    caption.textContent = spec.title;
    table.appendChild(caption);
    for (const column of spec.popup) {
      const value = properties[column];
      if (value === undefined || value === null) continue;
      const row = table.insertRow();
      row.insertCell().textContent = column;
      const cell = row.insertCell();
      if (spec.links.includes(column)) {
        const link = document.createElement("a");
        link.href = value;
        link.target = "_blank";
        link.textContent = value.split("/").pop();
        cell.appendChild(link);
      } else {
        cell.textContent = value;
      }
    }
    return table;
  }

  function vectorLayer(spec) {
    return L.geoJSON(null, {
      style: (feature) => styleFor(spec, feature.properties),
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, Object.assign({ radius: 5 }, styleFor(spec, feature.properties))),
      onEachFeature: (feature, layer) => layer.bindPopup(() => popup(spec, feature.properties)),
    });
  }

  // FlatGeobuf layers (large runs): the file is read once, then only the features in the
  // view are drawn, through the file's spatial index (Leaflet's canvas redraws every feature
  // in view on each pan, so a cap keeps it smooth; README "The map and the report").
  const MAX_DRAWN = manifest.max_drawn || 10000;
  const fgbLayers = [];

  async function readFlatGeobuf(spec, layer) {
    if (location.protocol === "file:") {
      notice(`"${spec.title}" (${spec.count} features) is FlatGeobuf, which a page opened ` +
        "from a file cannot read: serve the results folder with " +
        "`python -m http.server -d results` and open http://localhost:8000/map/");
      return;
    }
    const response = await fetch(spec.src);
    layer.fgbBytes = new Uint8Array(await response.arrayBuffer());
    layer.fgbGeneration = 0;
    fgbLayers.push([spec, layer]);
    await drawInView(spec, layer);
  }

  async function drawInView(spec, layer) {
    if (!layer.fgbBytes) return;
    const generation = ++layer.fgbGeneration;
    const view = map.getBounds().pad(0.2);
    const rect = { minX: view.getWest(), minY: view.getSouth(),
      maxX: view.getEast(), maxY: view.getNorth() };
    const features = [];
    layer.capped = false;
    for await (const feature of flatgeobuf.deserialize(layer.fgbBytes, { rect: rect })) {
      if (generation !== layer.fgbGeneration) return;  // the view moved on: a newer draw runs
      if (features.length === MAX_DRAWN) {
        layer.capped = true;
        break;
      }
      features.push(feature);
    }
    layer.clearLayers();
    layer.addData(features);
    const status = document.getElementById("capped");
    const capped = fgbLayers.filter(([, l]) => l.capped && map.hasLayer(l)).map(([s]) => s.title);
    status.textContent = capped.length
      ? `zoom in to see every feature of ${capped.join(", ")} (at most ${MAX_DRAWN} drawn)` : "";
  }

  map.on("moveend overlayadd", () => {
    for (const [spec, layer] of fgbLayers) if (map.hasLayer(layer)) drawInView(spec, layer);
  });

  // A yes/no column reads as its name: "kept" and "not kept", not "true" and "false".
  function legendText(spec, value) {
    if (value === "true") return spec.colour_by.replace(/_/g, " ");
    if (value === "false") return `not ${spec.colour_by.replace(/_/g, " ")}`;
    return value;
  }

  function label(spec) {
    const span = document.createElement("span");
    if (spec.colour_by) {
      for (const [value, colour] of Object.entries(spec.colours)) span.appendChild(swatch(colour, value));
    } else if (spec.style.color || spec.style.fillColor) {
      span.appendChild(swatch(spec.style.fillColor || spec.style.color));
    }
    span.appendChild(document.createTextNode(` ${spec.title} (${spec.count})`));
    return span.outerHTML;
  }

  for (const spec of manifest.layers) {
    const layer = vectorLayer(spec);
    specs[spec.key] = spec;
    layers[spec.key] = layer;
    if (spec.format === "script") {
      layer.addData(inline[spec.key]);
    } else {
      pending.push(readFlatGeobuf(spec, layer).catch((error) => {
        notice(`"${spec.title}" could not be read: ${error}`);
      }));
    }
    control.addOverlay(layer, label(spec));
    if (spec.visible) layer.addTo(map);
  }

  // Previews lie under the vector layers (overlayPane is at z-index 400), over the basemap.
  map.createPane("previews").style.zIndex = 350;
  for (const group of manifest.previews) {
    const overlays = group.images.map((image) =>
      L.imageOverlay(image.src, image.bounds, { alt: image.name, pane: "previews" }));
    const layer = L.layerGroup(overlays);
    const spec = { key: group.key, title: group.title, count: overlays.length, style: {} };
    specs[group.key] = spec;
    layers[group.key] = layer;
    control.addOverlay(layer, label(spec));
    if (group.visible) layer.addTo(map);
  }
  control.addTo(map);

  // The legend says what the colours mean, for the layers shown.
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    this.box = L.DomUtil.create("div", "legend");
    return this.box;
  };
  legend.update = function () {
    this.box.replaceChildren();
    const heading = document.createElement("strong");
    heading.textContent = "Legend";
    this.box.appendChild(heading);
    for (const [key, layer] of Object.entries(layers)) {
      const spec = specs[key];
      if (!map.hasLayer(layer) || !spec.colour_by) continue;
      const line = document.createElement("div");
      line.appendChild(document.createTextNode(`${spec.title}: `));
      for (const [value, colour] of Object.entries(spec.colours)) {
        line.appendChild(swatch(colour, value));
        line.appendChild(document.createTextNode(` ${legendText(spec, value)} `));
      }
      this.box.appendChild(line);
    }
  };
  legend.addTo(map);
  legend.update();
  map.on("overlayadd overlayremove", () => legend.update());

  // Natural Earth 1:50m under everything (its own pane below the previews and the online
  // tiles): land, lakes, rivers, coastlines and country borders, decoded from TopoJSON.
  const BASEMAP_STYLE = {
    land: { stroke: false, fillColor: "#f1eee6", fillOpacity: 1 },
    lakes: { stroke: false, fillColor: "#b9d3e8", fillOpacity: 1 },
    rivers: { color: "#6f9fd1", weight: 1.2, opacity: 0.9, fill: false },
    coastline: { color: "#6b7f8e", weight: 1, fill: false },
    borders: { color: "#8d6e63", weight: 1.2, dashArray: "5 3", fill: false },
  };
  const basemap = {};
  const topologies = window.MINESCAN_BASEMAP || {};
  const basemapStart = performance.now();
  if (window.topojson && topologies.countries) {
    map.createPane("basemap").style.zIndex = 150;
    const countries = topologies.countries;
    const water = topologies.water;
    const shapes = {
      land: topojson.feature(countries, countries.objects.land),
      lakes: water && topojson.feature(water, water.objects.lakes),
      rivers: water && topojson.feature(water, water.objects.rivers),
      coastline: topojson.mesh(countries, countries.objects.countries, (a, b) => a === b),
      borders: topojson.mesh(countries, countries.objects.countries, (a, b) => a !== b),
    };
    for (const [key, shape] of Object.entries(shapes)) {
      if (!shape) continue;
      basemap[key] = L.geoJSON(shape, {
        pane: "basemap",
        interactive: false,
        style: () => BASEMAP_STYLE[key],
        attribution: key === "land" ? "Made with Natural Earth" : undefined,
      });
    }
    const group = L.layerGroup(Object.values(basemap)).addTo(map);
    control.addOverlay(group, "Basemap: Natural Earth 1:50m (offline)");
  }
  const basemapMs = performance.now() - basemapStart;

  // The places to jump between; the first is where the page opens.
  const regions = manifest.regions || [{ name: "All results", bounds: manifest.bounds }];
  function goTo(index) {
    const [[south, west], [north, east]] = regions[index].bounds;
    map.fitBounds([[south, west], [north, east]],
      { maxZoom: 16, padding: [12, 12], animate: false });
  }
  const jump = L.control({ position: "topleft" });
  jump.onAdd = function () {
    const box = L.DomUtil.create("div", "regions leaflet-bar");
    const heading = document.createElement("strong");
    heading.textContent = "Go to";
    box.appendChild(heading);
    regions.forEach((region, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "region";
      button.dataset.region = String(index);
      button.textContent = region.name;
      button.addEventListener("click", () => goTo(index));
      box.appendChild(button);
    });
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  jump.addTo(map);
  goTo(0);
  L.control.scale({ imperial: false }).addTo(map);

  // The OpenStreetMap basemap only when its tiles load: the page must work offline.
  const probe = new Image();
  probe.onload = () => {
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "&copy; OpenStreetMap contributors",
    }).addTo(map).bringToBack();
  };
  probe.onerror = () => document.body.classList.add("offline");
  probe.src = "https://tile.openstreetmap.org/0/0/0.png";

  // Screen boxes [x0, y0, x1, y1] (container pixels) of a layer's features on the map now.
  function screenBoxes(layer) {
    if (!map.hasLayer(layer)) return [];
    const boxes = [];
    layer.eachLayer((feature) => {
      const bounds = feature.getBounds ? feature.getBounds() : L.latLngBounds([feature.getLatLng()]);
      const a = map.latLngToContainerPoint(bounds.getNorthWest());
      const b = map.latLngToContainerPoint(bounds.getSouthEast());
      boxes.push([a.x, a.y, b.x, b.y]);
    });
    return boxes;
  }

  window.minescanMap = {
    map: map,
    layers: layers,
    basemap: basemap,
    basemapMs: basemapMs,  // decoding the basemap and adding it (drawn at the first view)
    regions: regions,
    goTo: goTo,
    ready: Promise.all(pending),
    // Features of a layer on the map now (0 when it is switched off).
    drawn: (key) => (map.hasLayer(layers[key]) ? layers[key].getLayers().length : 0),
    screenBoxes: (key) => screenBoxes(layers[key] || basemap[key]),
  };
})();
