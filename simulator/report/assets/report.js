/* dlsim report page: draws the charts, switches language, presenter mode, CSV downloads. No network access. */
(function () {
  "use strict";

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  var strings = readJson("dlsim-strings");
  var config = readJson("dlsim-config");
  var charts = readJson("dlsim-charts");
  var LOCALES = { en: "en-GB", es: "es-ES", pt: "pt-BR", fr: "fr-FR" };
  var lang = "en";
  var presenterFont = 20;
  var specs = {};

  charts.forEach(function (c) {
    specs[c.id] = c;
    if (c.alternate) specs[c.alternate.id] = c.alternate;
  });

  function format(key, args) {
    var entry = strings[key];
    if (!entry) return null;
    var text = entry[lang] || entry.en;
    if (args) {
      Object.keys(args).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(args[name]));
      });
    }
    return text;
  }

  function formatNumbers() {
    var locale = LOCALES[lang] || lang;
    document.querySelectorAll(".num").forEach(function (el) {
      if (el.dataset.v === "") return;
      var d = Number(el.dataset.d);
      el.textContent = new Intl.NumberFormat(locale, {
        minimumFractionDigits: d, maximumFractionDigits: d, signDisplay: "exceptZero"
      }).format(Number(el.dataset.v));
    });
    document.querySelectorAll(".usd-num").forEach(function (el) {
      el.textContent = new Intl.NumberFormat(locale, {
        style: "currency", currency: "USD", notation: "compact", signDisplay: "exceptZero"
      }).format(Number(el.dataset.v));
    });
  }

  function chartEl(id) {
    return document.getElementById("chart-" + id);
  }

  function setPath(obj, path, value) {
    // "a.b[0].c" -> obj.a.b[0].c = value (creating objects on the way)
    var parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    var target = obj;
    for (var i = 0; i < parts.length - 1; i++) {
      if (target[parts[i]] === undefined || target[parts[i]] === null) target[parts[i]] = {};
      target = target[parts[i]];
    }
    target[parts[parts.length - 1]] = value;
  }

  function figureFor(spec) {
    // The chart's data and layout with the current language's labels and the current font size.
    var data = spec.data.map(function (trace) { return Object.assign({}, trace); });
    var layout = JSON.parse(JSON.stringify(spec.layout));
    var o = spec.i18n && spec.i18n[lang];
    if (o) {
      Object.keys(o.traces || {}).forEach(function (index) {
        var trace = JSON.parse(JSON.stringify(data[Number(index)]));
        Object.keys(o.traces[index]).forEach(function (path) { setPath(trace, path, o.traces[index][path]); });
        data[Number(index)] = trace;
      });
      Object.keys(o.layout || {}).forEach(function (path) { setPath(layout, path, o.layout[path]); });
    }
    if (document.body.classList.contains("presenter")) setPath(layout, "font.size", presenterFont);
    return { data: data, layout: layout };
  }

  function redraw(spec) {
    var gd = chartEl(spec.id);
    if (!gd) return Promise.resolve();
    var fig = figureFor(spec);
    return Plotly.react(gd, fig.data, fig.layout, config);
  }

  // Charts are redrawn in the current language and type size only when they come near the screen (a switch with
  // dozens of charts stays instant); drawnAs remembers the state each chart was last drawn in.
  var drawnAs = {};

  function state() {
    return lang + (document.body.classList.contains("presenter") ? "/presenter" : "");
  }

  function ensure(spec) {
    if (!spec || drawnAs[spec.id] === state()) return Promise.resolve();
    drawnAs[spec.id] = state();
    return redraw(spec).then(function () {
      var gd = chartEl(spec.id);
      if (gd && gd.offsetParent !== null) return Plotly.Plots.resize(gd);
    });
  }

  function nearScreen(el) {
    if (el.offsetParent === null) return false;
    var r = el.getBoundingClientRect();
    return r.bottom > -800 && r.top < window.innerHeight + 800;
  }

  function ensureNearScreen() {
    var jobs = [];
    document.querySelectorAll(".chart").forEach(function (el) {
      if (nearScreen(el)) jobs.push(ensure(specs[el.dataset.chart]));
    });
    return Promise.all(jobs);
  }

  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) ensure(specs[entry.target.dataset.chart]);
    });
  }, { rootMargin: "800px 0px" });

  function setLanguage(code) {
    lang = code;
    document.documentElement.lang = code;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      var args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : null;
      var text = format(el.dataset.i18n, args);
      if (text !== null) el.textContent = text;
    });
    var title = document.querySelector("title[data-i18n-title]");
    if (title) document.title = format(title.dataset.i18nTitle) || document.title;
    formatNumbers();
    return ensureNearScreen().then(function () {
      document.body.dataset.lang = code;
    });
  }

  function draw(spec) {
    var gd = chartEl(spec.id);
    if (!gd) {
      console.error("dlsim report: no element for chart " + spec.id);
      return Promise.resolve();
    }
    return Plotly.newPlot(gd, spec.data, spec.layout, config);
  }

  function downloadCsv(id) {
    var spec = specs[id];
    var blob = new Blob([spec.csv], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = id + ".csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  // Presenter mode -------------------------------------------------------------------------------------------
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
  var current = 0;

  function visibleCharts(slide) {
    return Array.prototype.slice.call(slide.querySelectorAll(".chart:not([hidden])"));
  }

  function resizeIn(slide) {
    return Promise.all(visibleCharts(slide).map(function (gd) {
      return ensure(specs[gd.dataset.chart]).then(function () {
        if (gd.classList.contains("js-plotly-plot")) return Plotly.Plots.resize(gd);
      });
    }));
  }

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (s, i) { s.classList.toggle("current", i === current); });
    document.getElementById("slide-counter").textContent = (current + 1) + " / " + slides.length;
    document.body.dataset.slide = "";
    resizeIn(slides[current]).then(function () { document.body.dataset.slide = String(current); });
  }

  function setPresenter(on) {
    if (document.body.classList.contains("presenter") === on) return Promise.resolve();
    var top = slides.findIndex(function (s) { return s.getBoundingClientRect().bottom > 80; });
    document.body.classList.toggle("presenter", on);
    if (on) {
      show(top < 0 ? 0 : top);
      return Promise.resolve();
    }
    var back = slides[current];
    slides.forEach(function (s) { s.classList.remove("current"); });
    if (back) back.scrollIntoView();
    return ensureNearScreen().then(function () {
      document.querySelectorAll(".chart.js-plotly-plot").forEach(function (gd) {
        if (nearScreen(gd)) Plotly.Plots.resize(gd);
      });
    });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.target && /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
    var presenting = document.body.classList.contains("presenter");
    if (!presenting) {
      if (ev.key === "p" && !ev.ctrlKey && !ev.metaKey && !ev.altKey) setPresenter(true);
      return;
    }
    if (["ArrowRight", "PageDown", " ", "ArrowDown"].indexOf(ev.key) >= 0) { show(current + 1); ev.preventDefault(); }
    else if (["ArrowLeft", "PageUp", "ArrowUp"].indexOf(ev.key) >= 0) { show(current - 1); ev.preventDefault(); }
    else if (ev.key === "Home") { show(0); ev.preventDefault(); }
    else if (ev.key === "End") { show(slides.length - 1); ev.preventDefault(); }
    else if (ev.key === "Escape" || ev.key === "p") { setPresenter(false); ev.preventDefault(); }
  });

  document.getElementById("presenter-toggle").addEventListener("click", function () { setPresenter(true); });
  document.getElementById("presenter-exit").addEventListener("click", function () { setPresenter(false); });
  document.getElementById("slide-prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("slide-next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("lang-select").addEventListener("change", function (ev) { setLanguage(ev.target.value); });

  document.querySelectorAll("button.csv").forEach(function (btn) {
    btn.addEventListener("click", function () { downloadCsv(btn.dataset.chart); });
  });
  document.querySelectorAll("button.toggle-levels").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var main = chartEl(btn.dataset.main);
      var alt = chartEl(btn.dataset.alt);
      var levels = alt.hidden;
      alt.hidden = !levels;
      main.hidden = levels;
      btn.classList.toggle("showing-levels", levels);
      var shown = levels ? alt : main;
      ensure(specs[shown.dataset.chart]).then(function () { Plotly.Plots.resize(shown); });
    });
  });

  // Draw every chart, then mark the page ready (tests wait for data-ready).
  var jobs = [];
  charts.forEach(function (c) {
    jobs.push(draw(c));
    if (c.alternate) jobs.push(draw(c.alternate));
  });
  Promise.all(jobs).then(function () {
    Object.keys(specs).forEach(function (id) {
      drawnAs[id] = state();
      var gd = chartEl(id);
      if (gd) observer.observe(gd);
    });
    document.body.dataset.ready = "1";
  }).catch(function (err) {
    document.body.dataset.ready = "error";
    console.error("dlsim report: a chart could not be drawn: " + err);
  });

  window.dlsimReport = { setLanguage: setLanguage, setPresenter: setPresenter, show: show, downloadCsv: downloadCsv };
}());
