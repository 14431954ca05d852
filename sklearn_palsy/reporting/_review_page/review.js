(function () {
  "use strict";
  // The review page of sklearn-palsy: every string from the data is shown
  // with textContent, never parsed as HTML.
  var DATA = JSON.parse(document.getElementById("review-data").textContent);
  var SCHEME = DATA.scheme;
  var STORE = "sklearn-palsy-review:" + DATA.hash;
  var images = DATA.images;
  var order = images.map(function (image, index) { return index; });
  order.sort(function (a, b) { return images[b].priority - images[a].priority || a - b; });

  var state = { edits: {}, decisions: {} };
  var history = {};  // per image: {undo: [points...], redo: [...]}
  var current = -1;
  var selection = [];
  var view = { zoom: 1, tx: 0, ty: 0 };
  var drag = null;
  var canvas = document.getElementById("canvas");
  var context = canvas.getContext("2d");
  var thumbs = [];
  var items = [];

  function byId(id) { return document.getElementById(id); }
  function copyPoints(points) { return points.map(function (p) { return [p[0], p[1]]; }); }
  function samePoints(a, b) {
    if (!a || !b || a.length !== b.length) { return false; }
    for (var k = 0; k < a.length; k++) {
      if (a[k][0] !== b[k][0] || a[k][1] !== b[k][1]) { return false; }
    }
    return true;
  }
  function pointsOf(index) {
    return state.edits[index] || images[index].points;
  }
  function decisionOf(index) {
    var saved = state.decisions[index];
    if (saved) { return saved; }
    var given = images[index].decision || {};
    return { checked: !!given.checked, excluded: !!given.excluded, note: given.note || "" };
  }

  // ---------------------------------------------------------------- storage
  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE) || "null");
      if (saved && saved.edits && saved.decisions) { state = saved; }
    } catch (error) {
      state = { edits: {}, decisions: {} };
    }
  }
  function save() {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(state));
    } catch (error) {
      setStatus("edits could not be kept in the browser's storage: export them");
      return;
    }
    setStatus(Object.keys(state.edits).length + " image(s) edited, kept in this browser until exported");
  }
  function setStatus(text) { byId("status").textContent = text; }

  // ------------------------------------------------------------------ list
  function buildList() {
    var list = byId("list");
    order.forEach(function (index) {
      var image = images[index];
      var item = document.createElement("div");
      item.className = "item";
      item.setAttribute("data-index", String(index));
      var thumb = document.createElement("img");
      thumb.alt = image.name;
      if (image.src) { thumb.src = image.src; }
      thumbs[index] = thumb;
      var text = document.createElement("div");
      var name = document.createElement("div");
      name.className = "name";
      name.textContent = image.name;
      var meta = document.createElement("div");
      meta.textContent = [image.patient, image.expression].filter(Boolean).join(" · ");
      var badges = document.createElement("div");
      badges.className = "badges";
      var why = document.createElement("div");
      why.className = "why";
      why.textContent = image.reasons.length ? image.reasons[0] +
        (image.reasons.length > 1 ? " (+" + (image.reasons.length - 1) + ")" : "") : "";
      text.appendChild(name);
      text.appendChild(meta);
      text.appendChild(badges);
      text.appendChild(why);
      item.appendChild(thumb);
      item.appendChild(text);
      item.addEventListener("click", function () { show(index); });
      list.appendChild(item);
      items[index] = item;
      updateItem(index);
    });
  }
  function badge(parent, text, kind) {
    var span = document.createElement("span");
    span.className = "badge " + (kind || "");
    span.textContent = text;
    parent.appendChild(span);
  }
  function updateItem(index) {
    var item = items[index];
    var badges = item.querySelector(".badges");
    while (badges.firstChild) { badges.removeChild(badges.firstChild); }
    var decision = decisionOf(index);
    images[index].flags.forEach(function (flag) { badge(badges, flag, "flag"); });
    if (state.edits[index]) { badge(badges, "edited"); }
    if (decision.checked) { badge(badges, "checked", "ok"); }
    if (decision.excluded) { badge(badges, "excluded"); }
    item.classList.toggle("excluded", decision.excluded);
    item.classList.toggle("current", index === current);
  }

  // --------------------------------------------------------------- details
  function showDetails() {
    var image = images[current];
    byId("image-name").textContent = image.name;
    byId("image-meta").textContent = [image.patient && "patient " + image.patient,
      image.expression, image.width + " × " + image.height + " px",
      image.points ? "landmarks " + image.source : "no landmarks"].filter(Boolean).join(" · ");
    var reasons = byId("reasons");
    while (reasons.firstChild) { reasons.removeChild(reasons.firstChild); }
    (image.reasons.length ? image.reasons : ["no flag"]).forEach(function (reason) {
      var li = document.createElement("li");
      li.textContent = reason;
      reasons.appendChild(li);
    });
    var body = byId("scores").tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    Object.keys(image.scores).forEach(function (name) {
      var row = body.insertRow();
      row.insertCell().textContent = name.replace(/_/g, " ");
      var value = image.scores[name];
      row.insertCell().textContent = value === null ? "–" :
        (typeof value === "number" ? value.toFixed(name === "side_confidence" ? 2 : 1) : String(value));
    });
    var decision = decisionOf(current);
    byId("checked").checked = decision.checked;
    byId("excluded").checked = decision.excluded;
    byId("note").value = decision.note;
  }
  function setDecision(field, value) {
    var decision = decisionOf(current);
    decision = { checked: decision.checked, excluded: decision.excluded, note: decision.note };
    decision[field] = value;
    state.decisions[current] = decision;
    save();
    updateItem(current);
  }

  // ------------------------------------------------------------------ view
  function resize() {
    var rect = canvas.getBoundingClientRect();
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(rect.width * ratio));
    canvas.height = Math.max(1, Math.round(rect.height * ratio));
    draw();
  }
  function fit() {
    if (current < 0) { return; }
    var rect = canvas.getBoundingClientRect();
    var image = images[current];
    var zoom = Math.min(rect.width / image.width, rect.height / image.height) * 0.95;
    setZoom(zoom, image.width / 2, image.height / 2, rect.width / 2, rect.height / 2);
  }
  // Image pixel (x, y) lands on canvas CSS pixel (cx, cy) at this zoom.
  function setZoom(zoom, x, y, cx, cy) {
    view.zoom = Math.min(64, Math.max(0.02, zoom));
    view.tx = cx - view.zoom * x;
    view.ty = cy - view.zoom * y;
    draw();
  }
  function toImage(clientX, clientY) {
    var rect = canvas.getBoundingClientRect();
    return [(clientX - rect.left - view.tx) / view.zoom, (clientY - rect.top - view.ty) / view.zoom];
  }
  function toScreen(x, y) {
    var rect = canvas.getBoundingClientRect();
    return [rect.left + view.tx + view.zoom * x, rect.top + view.ty + view.zoom * y];
  }

  function regionOf(point) {
    for (var r = 0; r < SCHEME.regions.length; r++) {
      if (SCHEME.regions[r][1].indexOf(point) >= 0) { return SCHEME.regions[r]; }
    }
    return null;
  }
  function colourOf(point) {
    var region = regionOf(point);
    return region ? region[2] : "#ffffff";
  }

  function draw() {
    var ratio = window.devicePixelRatio || 1;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#333";
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (current < 0) { return; }
    var image = images[current];
    context.setTransform(ratio * view.zoom, 0, 0, ratio * view.zoom, ratio * view.tx, ratio * view.ty);
    var thumb = thumbs[current];
    if (thumb && thumb.complete && thumb.naturalWidth) {
      context.imageSmoothingEnabled = view.zoom < 4;
      context.drawImage(thumb, 0, 0, image.width, image.height);
    } else {
      context.fillStyle = "#555";
      context.fillRect(0, 0, image.width, image.height);
    }
    var points = pointsOf(current);
    if (!points) { return; }
    var unit = 1 / view.zoom;  // one CSS pixel, in image pixels
    context.lineJoin = "round";
    SCHEME.contours.forEach(function (contour) {
      var path = contour[1];
      context.beginPath();
      path.forEach(function (k, at) {
        if (at === 0) { context.moveTo(points[k][0], points[k][1]); } else { context.lineTo(points[k][0], points[k][1]); }
      });
      if (contour[2]) { context.closePath(); }
      // A dark casing under a light line reads on any skin.
      context.strokeStyle = "rgba(0,0,0,0.8)";
      context.lineWidth = 3 * unit;
      context.stroke();
      context.strokeStyle = contour[3];
      context.lineWidth = 1.4 * unit;
      context.stroke();
    });
    var selected = {};
    selection.forEach(function (k) { selected[k] = true; });
    var emphasised = {};
    SCHEME.emphasis.forEach(function (k) { emphasised[k] = true; });
    for (var k = 0; k < points.length; k++) {
      var radius = (selected[k] ? 4 : (emphasised[k] ? 2.6 : 1.4)) * unit;
      context.beginPath();
      context.arc(points[k][0], points[k][1], radius, 0, 2 * Math.PI);
      context.fillStyle = selected[k] ? "#ffffff" : colourOf(k);
      context.fill();
      context.strokeStyle = "rgba(0,0,0,0.9)";
      context.lineWidth = 1 * unit;
      context.stroke();
    }
  }

  function describeSelection() {
    var text = "";
    if (selection.length === 1 && current >= 0) {
      var p = pointsOf(current)[selection[0]];
      var region = regionOf(selection[0]);
      text = "point " + selection[0] + (region ? " (" + region[0] + ")" : "") +
        " at x " + p[0].toFixed(2) + ", y " + p[1].toFixed(2) + " px";
    } else if (selection.length) {
      text = selection.length + " points";
    } else {
      text = "nothing selected";
    }
    byId("selection").textContent = text;
  }

  // ----------------------------------------------------------------- edits
  function historyOf(index) {
    if (!history[index]) { history[index] = { undo: [], redo: [] }; }
    return history[index];
  }
  function commit(before) {
    var entry = historyOf(current);
    entry.undo.push(before);
    entry.redo = [];
    storePoints(pointsOf(current));
  }
  function storePoints(points) {
    if (samePoints(points, images[current].points)) {
      delete state.edits[current];
    } else {
      state.edits[current] = points;
    }
    save();
    updateItem(current);
    describeSelection();
    draw();
  }
  function editable() {
    if (!state.edits[current]) { state.edits[current] = copyPoints(images[current].points); }
    return state.edits[current];
  }
  function move(dx, dy) {
    if (current < 0 || !selection.length || !images[current].points) { return; }
    var before = copyPoints(pointsOf(current));
    var points = editable();
    selection.forEach(function (k) { points[k] = [points[k][0] + dx, points[k][1] + dy]; });
    commit(before);
  }
  function undo() {
    if (current < 0) { return; }
    var entry = historyOf(current);
    if (!entry.undo.length) { return; }
    entry.redo.push(copyPoints(pointsOf(current)));
    state.edits[current] = entry.undo.pop();
    storePoints(state.edits[current]);
  }
  function redo() {
    if (current < 0) { return; }
    var entry = historyOf(current);
    if (!entry.redo.length) { return; }
    entry.undo.push(copyPoints(pointsOf(current)));
    state.edits[current] = entry.redo.pop();
    storePoints(state.edits[current]);
  }
  function reset() {
    if (current < 0 || !state.edits[current]) { return; }
    var before = copyPoints(pointsOf(current));
    delete state.edits[current];
    commit(before);
  }

  function nearest(x, y) {
    var points = current >= 0 ? pointsOf(current) : null;
    if (!points) { return -1; }
    var best = -1;
    var bestDistance = 8 / view.zoom;  // eight screen pixels
    for (var k = 0; k < points.length; k++) {
      var d = Math.hypot(points[k][0] - x, points[k][1] - y);
      if (d < bestDistance) { best = k; bestDistance = d; }
    }
    return best;
  }

  // ------------------------------------------------------------------ input
  canvas.addEventListener("mousedown", function (event) {
    if (current < 0 || event.button !== 0) { return; }
    canvas.focus();
    var at = toImage(event.clientX, event.clientY);
    var hit = nearest(at[0], at[1]);
    if (hit >= 0) {
      if (event.shiftKey) {
        var region = regionOf(hit);
        selection = region ? region[1].slice() : [hit];
      } else if (selection.indexOf(hit) < 0) {
        selection = [hit];
      }
      byId("region").value = "";
      var points = pointsOf(current);
      drag = { kind: "points", x: event.clientX, y: event.clientY, before: copyPoints(points),
               moved: false };
    } else {
      drag = { kind: "pan", x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty };
    }
    describeSelection();
    draw();
    event.preventDefault();
  });
  window.addEventListener("mousemove", function (event) {
    if (!drag) { return; }
    var dx = event.clientX - drag.x;
    var dy = event.clientY - drag.y;
    if (drag.kind === "pan") {
      view.tx = drag.tx + dx;
      view.ty = drag.ty + dy;
    } else {
      var points = editable();
      selection.forEach(function (k) {
        points[k] = [drag.before[k][0] + dx / view.zoom, drag.before[k][1] + dy / view.zoom];
      });
      drag.moved = dx !== 0 || dy !== 0;
      describeSelection();
    }
    draw();
  });
  window.addEventListener("mouseup", function () {
    if (drag && drag.kind === "points") {
      if (drag.moved) {
        commit(drag.before);
      } else if (samePoints(pointsOf(current), images[current].points)) {
        delete state.edits[current];
      }
    }
    drag = null;
  });
  canvas.addEventListener("wheel", function (event) {
    if (current < 0) { return; }
    var at = toImage(event.clientX, event.clientY);
    var rect = canvas.getBoundingClientRect();
    setZoom(view.zoom * (event.deltaY < 0 ? 1.25 : 0.8), at[0], at[1],
            event.clientX - rect.left, event.clientY - rect.top);
    event.preventDefault();
  }, { passive: false });

  function zoomBy(factor) {
    var rect = canvas.getBoundingClientRect();
    var centre = toImage(rect.left + rect.width / 2, rect.top + rect.height / 2);
    setZoom(view.zoom * factor, centre[0], centre[1], rect.width / 2, rect.height / 2);
  }
  function zoomTo(zoom) {
    var rect = canvas.getBoundingClientRect();
    var centre = selection.length ? pointsOf(current)[selection[0]] :
      toImage(rect.left + rect.width / 2, rect.top + rect.height / 2);
    // Whole CSS pixels for the origin, so that one image pixel is exactly
    // `zoom` screen pixels from any whole screen pixel.
    setZoom(zoom, centre[0], centre[1], Math.round(rect.width / 2), Math.round(rect.height / 2));
    view.tx = Math.round(view.tx);
    view.ty = Math.round(view.ty);
    draw();
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT") { return; }
    var step = event.shiftKey ? 10 : 1;
    var key = event.key;
    var handled = true;
    if ((event.ctrlKey || event.metaKey) && (key === "z" || key === "Z")) {
      if (event.shiftKey) { redo(); } else { undo(); }
    } else if ((event.ctrlKey || event.metaKey) && (key === "y" || key === "Y")) {
      redo();
    } else if (key === "ArrowLeft") { move(-step, 0); }
    else if (key === "ArrowRight") { move(step, 0); }
    else if (key === "ArrowUp") { move(0, -step); }
    else if (key === "ArrowDown") { move(0, step); }
    else if (key === "+" || key === "=") { zoomBy(1.25); }
    else if (key === "-") { zoomBy(0.8); }
    else if (key === "0") { fit(); }
    else if (/^[1-8]$/.test(key) && !event.ctrlKey && !event.metaKey) { zoomTo(Number(key)); }
    else if (key === "PageDown") { step_(1); }
    else if (key === "PageUp") { step_(-1); }
    else if (key === "Escape") { selection = []; describeSelection(); draw(); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
  function step_(direction) {
    var at = order.indexOf(current) + direction;
    if (at >= 0 && at < order.length) { show(order[at]); }
  }

  // ----------------------------------------------------------------- export
  function csvCell(value) {
    var text = String(value);
    // A cell a spreadsheet would run as a formula is written as text.
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    if (/[",\n\r]/.test(text)) { text = "\"" + text.replace(/"/g, "\"\"") + "\""; }
    return text;
  }
  function download(name, text) {
    var blob = new Blob([text], { type: "text/csv" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }
  function exportLandmarks() {
    var lines = ["image,point,x,y,scheme"];
    var count = 0;
    images.forEach(function (image, index) {
      var points = pointsOf(index);
      if (!points || !(state.edits[index] || image.source === "given")) { return; }
      count += 1;
      var cell = csvCell(image.key);
      points.forEach(function (p, k) {
        // String(number) is the shortest text that reads back to the same
        // double, as Python's repr: unedited points come back to the bit.
        lines.push(cell + "," + k + "," + String(p[0]) + "," + String(p[1]) + "," + SCHEME.name);
      });
    });
    download(DATA.stem + "-landmarks.csv", lines.join("\n") + "\n");
    setStatus(count + " image(s) exported to " + DATA.stem + "-landmarks.csv");
  }
  function exportDecisions() {
    var lines = ["image,name,checked,excluded,note"];
    images.forEach(function (image, index) {
      var decision = decisionOf(index);
      lines.push([csvCell(image.key), csvCell(image.name), decision.checked ? "1" : "0",
        decision.excluded ? "1" : "0", csvCell(decision.note)].join(","));
    });
    download(DATA.stem + "-decisions.csv", lines.join("\n") + "\n");
  }

  // ------------------------------------------------------------------ show
  function show(index) {
    var previous = current;
    current = index;
    selection = [];
    if (previous >= 0) { updateItem(previous); }
    updateItem(index);
    showDetails();
    describeSelection();
    fit();
    items[index].scrollIntoView({ block: "nearest" });
  }

  function init() {
    byId("title").textContent = DATA.title;
    byId("disclaimer").textContent = DATA.disclaimer;
    var select = byId("region");
    SCHEME.regions.forEach(function (region) {
      var option = document.createElement("option");
      option.value = region[0];
      option.textContent = region[0].replace(/_/g, " ");
      select.appendChild(option);
    });
    select.addEventListener("change", function () {
      var region = null;
      SCHEME.regions.forEach(function (r) { if (r[0] === select.value) { region = r; } });
      selection = region ? region[1].slice() : [];
      describeSelection();
      draw();
      canvas.focus();
    });
    load();
    buildList();
    byId("export-landmarks").addEventListener("click", exportLandmarks);
    byId("export-decisions").addEventListener("click", exportDecisions);
    byId("prev").addEventListener("click", function () { step_(-1); });
    byId("next").addEventListener("click", function () { step_(1); });
    byId("zoom-in").addEventListener("click", function () { zoomBy(1.25); });
    byId("zoom-out").addEventListener("click", function () { zoomBy(0.8); });
    byId("zoom-fit").addEventListener("click", fit);
    byId("zoom-one").addEventListener("click", function () { zoomTo(1); });
    byId("undo").addEventListener("click", undo);
    byId("redo").addEventListener("click", redo);
    byId("reset").addEventListener("click", reset);
    byId("checked").addEventListener("change", function (e) { setDecision("checked", e.target.checked); });
    byId("excluded").addEventListener("change", function (e) { setDecision("excluded", e.target.checked); });
    byId("note").addEventListener("input", function (e) { setDecision("note", e.target.value); });
    window.addEventListener("resize", resize);
    thumbs.forEach(function (thumb, index) {
      if (thumb) { thumb.addEventListener("load", function () { if (index === current) { draw(); } }); }
    });
    resize();
    if (order.length) { show(order[0]); }
    setStatus(Object.keys(state.edits).length + " image(s) edited, kept in this browser until exported");
    // For tests and scripts: the page's own transform and state, read-only
    // apart from choosing an image and a zoom.
    window.sklearnPalsyReview = {
      show: show,
      current: function () { return current; },
      toScreen: toScreen,
      toImage: toImage,
      zoomTo: zoomTo,
      select: function (points) { selection = points.slice(); describeSelection(); draw(); },
      points: function (index) { return copyPoints(pointsOf(index === undefined ? current : index)); },
      edited: function () { return Object.keys(state.edits).map(Number); },
      order: function () { return order.slice(); },
      ready: true
    };
    document.body.setAttribute("data-ready", "1");
  }
  init();
}());
