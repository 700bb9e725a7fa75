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
  var normalFont = 13;
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

  function relabel(spec) {
    var gd = chartEl(spec.id);
    var o = spec.i18n && spec.i18n[lang];
    if (!gd || !o) return Promise.resolve();
    var chain = Promise.resolve();
    Object.keys(o.traces || {}).forEach(function (index) {
      var attrs = o.traces[index];
      var update = {};
      Object.keys(attrs).forEach(function (path) { update[path] = [attrs[path]]; });
      chain = chain.then(function () { return Plotly.restyle(gd, update, [Number(index)]); });
    });
    if (o.layout && Object.keys(o.layout).length) {
      chain = chain.then(function () { return Plotly.relayout(gd, o.layout); });
    }
    return chain;
  }

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
    var jobs = Object.keys(specs).map(function (id) { return relabel(specs[id]); });
    return Promise.all(jobs).then(function () {
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
    visibleCharts(slide).forEach(function (gd) {
      if (gd.classList.contains("js-plotly-plot")) Plotly.Plots.resize(gd);
    });
  }

  function fontFor(presenting) {
    var size = presenting ? presenterFont : normalFont;
    return Promise.all(Object.keys(specs).map(function (id) {
      var gd = chartEl(id);
      return gd ? Plotly.relayout(gd, { "font.size": size }) : null;
    }));
  }

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (s, i) { s.classList.toggle("current", i === current); });
    document.getElementById("slide-counter").textContent = (current + 1) + " / " + slides.length;
    resizeIn(slides[current]);
    document.body.dataset.slide = String(current);
  }

  function setPresenter(on) {
    document.body.classList.toggle("presenter", on);
    var done = fontFor(on);
    if (on) {
      var top = slides.findIndex(function (s) { return s.getBoundingClientRect().bottom > 80; });
      show(top < 0 ? 0 : top);
    } else {
      slides.forEach(function (s) { s.classList.remove("current"); });
      Object.keys(specs).forEach(function (id) {
        var gd = chartEl(id);
        if (gd && !gd.hidden && gd.classList.contains("js-plotly-plot")) Plotly.Plots.resize(gd);
      });
    }
    return done;
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
      Plotly.Plots.resize(levels ? alt : main);
    });
  });

  // Draw every chart, then mark the page ready (tests wait for data-ready).
  var jobs = [];
  charts.forEach(function (c) {
    jobs.push(draw(c));
    if (c.alternate) jobs.push(draw(c.alternate));
  });
  Promise.all(jobs).then(function () {
    document.body.dataset.ready = "1";
  }).catch(function (err) {
    document.body.dataset.ready = "error";
    console.error("dlsim report: a chart could not be drawn: " + err);
  });

  window.dlsimReport = { setLanguage: setLanguage, setPresenter: setPresenter, show: show, downloadCsv: downloadCsv };
}());
