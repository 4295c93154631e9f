// express-backstage: the one Chart.js hook. It mounts a chart on every
// <canvas data-chart='{"type","labels","datasets",…}'> the server rendered,
// subscribes to its live topic (one shared EventSource, see live.js), updates
// in place, and destroys the chart when the canvas leaves the page (an htmx
// swap or anything else). Without JavaScript the server-rendered table next to
// the canvas is what the operator sees. CSP-safe: no inline script or style;
// Chart.js sizes the canvas through the CSSOM (element.style), which
// `style-src 'self'` allows, and injects no <style> element.
(function () {
  'use strict';
  if (!window.Chart || !window.BackstageLive) return; // the fallback tables stay visible

  var Chart = window.Chart;
  var live = window.BackstageLive;
  var NUMBER = new Intl.NumberFormat('en-US');
  var root = getComputedStyle(document.documentElement);
  var accent = (root.getPropertyValue('--accent') || '').trim() || '#4f46e5';
  var PALETTE = [accent, '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#64748b', '#ec4899', '#14b8a6', '#a3a3a3'];
  var STATE_COLOURS = { waiting: '#0ea5e9', active: accent, delayed: '#f59e0b', completed: '#10b981', failed: '#ef4444', paused: '#94a3b8' };
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = (root.getPropertyValue('--muted') || '').trim() || '#5f6b7a';

  function alpha(hex, a) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? 'rgba(' + parseInt(m[1], 16) + ',' + parseInt(m[2], 16) + ',' + parseInt(m[3], 16) + ',' + a + ')' : hex;
  }

  function styled(spec, dataset, index, labels) {
    var colour = STATE_COLOURS[dataset.label] || PALETTE[index % PALETTE.length];
    var out = { label: dataset.label, data: dataset.data.slice() };
    if (spec.type === 'line') {
      out.borderColor = colour;
      out.backgroundColor = alpha(colour, 0.12);
      out.fill = spec.datasets.length === 1;
      out.cubicInterpolationMode = 'monotone'; // smooth, and never below zero between two counts
      out.pointRadius = spec.append ? 1.5 : 2;
      out.borderWidth = 2;
      out.spanGaps = true;
    } else if (spec.type === 'bar') {
      out.backgroundColor = colour;
      out.borderRadius = 3;
      out.maxBarThickness = 28;
    } else {
      out.backgroundColor = labels.map(function (_, i) { return PALETTE[i % PALETTE.length]; });
      out.borderColor = '#ffffff';
      out.borderWidth = 2;
    }
    return out;
  }

  function configOf(spec) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: spec.append ? 0 : 250 },
      plugins: {
        legend: { display: spec.type !== 'line' || spec.datasets.length > 1, position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { intersect: false, mode: spec.type === 'doughnut' ? 'nearest' : 'index' },
      },
    };
    if (spec.type !== 'doughnut') {
      options.scales = {
        x: { stacked: !!spec.stacked, grid: { display: false }, ticks: { autoSkip: true, maxTicksLimit: 10, maxRotation: 0 } },
        y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } },
      };
    } else {
      options.cutout = '55%';
    }
    return {
      type: spec.type,
      data: {
        labels: spec.labels.slice(),
        datasets: spec.datasets.map(function (d, i) { return styled(spec, d, i, spec.labels); }),
      },
      options: options,
    };
  }

  // ---- keeping the fallback table (screen readers read it) in step with the chart ----

  function syncTable(figure, chart) {
    var table = figure && figure.querySelector('.chart-fallback table');
    if (!table) return;
    var head = table.querySelector('thead tr');
    var body = table.querySelector('tbody');
    if (!head || !body) return;
    var first = head.firstElementChild ? head.firstElementChild.cloneNode(true) : document.createElement('th');
    var headCells = document.createDocumentFragment();
    headCells.appendChild(first);
    chart.data.datasets.forEach(function (dataset) {
      var th = document.createElement('th');
      th.scope = 'col';
      th.className = 'num';
      th.textContent = dataset.label;
      headCells.appendChild(th);
    });
    head.replaceChildren(headCells);
    var rows = document.createDocumentFragment();
    chart.data.labels.forEach(function (label, i) {
      var tr = document.createElement('tr');
      var th = document.createElement('th');
      th.scope = 'row';
      th.textContent = label;
      tr.appendChild(th);
      chart.data.datasets.forEach(function (dataset) {
        var td = document.createElement('td');
        td.className = 'num';
        var v = dataset.data[i];
        td.textContent = v === null || v === undefined ? '—' : NUMBER.format(v);
        tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
  }

  // ---- updates ----

  /** A snapshot replaces labels and series (the server's figures are the truth). */
  function applySnapshot(chart, spec, data) {
    chart.data.labels = data.labels.slice();
    if (data.keys) spec.keys = data.keys.slice();
    data.datasets.forEach(function (dataset, i) {
      var current = chart.data.datasets[i];
      if (current && current.label === dataset.label) {
        current.data = dataset.data.slice();
        if (spec.type === 'doughnut') current.backgroundColor = data.labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; });
      } else {
        chart.data.datasets[i] = styled(spec, dataset, i, data.labels);
      }
    });
    chart.data.datasets.length = data.datasets.length;
  }

  function bucketOf(at, unit) {
    var date = new Date(typeof at === 'number' ? at : String(at));
    if (isNaN(date.getTime())) return null;
    return date.toISOString().slice(0, unit === 'hour' ? 13 : 10);
  }

  function labelOf(key) {
    if (key.length === 13) return key.slice(11, 13) + ':00';
    return MONTHS[Number(key.slice(5, 7)) - 1] + ' ' + Number(key.slice(8, 10));
  }

  /** `{ at }`: one more in the bucket of `at`; a bucket after the last one slides the window on. */
  function applyIncrement(chart, spec, at) {
    var key = bucketOf(at, spec.increment);
    if (!key || !spec.keys) return false;
    var data = chart.data.datasets[0].data;
    var index = spec.keys.indexOf(key);
    if (index >= 0) {
      data[index] = (Number(data[index]) || 0) + 1;
      return true;
    }
    if (key > spec.keys[spec.keys.length - 1]) {
      spec.keys.push(key);
      chart.data.labels.push(labelOf(key));
      data.push(1);
      spec.keys.shift();
      chart.data.labels.shift();
      data.shift();
      return true;
    }
    return false;
  }

  /** Runtime charts: one point per sample, of the instance shown, in a sliding window. */
  function applyAppend(chart, spec, event) {
    var shown = live.selectedInstance();
    if (shown && shown !== event.origin) return false;
    var series = (event.payload && event.payload.series) || {};
    chart.data.labels.push(new Date(event.at).toISOString().slice(11, 19));
    spec.append.fields.forEach(function (field, i) {
      var value = series[field];
      chart.data.datasets[i].data.push(value === undefined ? null : value);
    });
    var limit = spec.append.window || 60;
    while (chart.data.labels.length > limit) {
      chart.data.labels.shift();
      chart.data.datasets.forEach(function (dataset) { dataset.data.shift(); });
    }
    return true;
  }

  function mount(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute('data-chart'));
    } catch (e) {
      return null;
    }
    var figure = canvas.closest('[data-chart-figure]');
    // Shown before Chart.js measures the container; the table becomes screen-reader only.
    if (figure) figure.classList.add('is-drawn');
    var chart = new Chart(canvas, configOf(spec));
    canvas.setAttribute('data-chart-ready', 'true');

    var off = null;
    var url = canvas.getAttribute('data-chart-live');
    if (spec.topic && url) {
      off = live.subscribe(url, spec.topic, function (event) {
        var payload = event.payload || {};
        var changed = false;
        if (spec.append) {
          changed = applyAppend(chart, spec, event);
        } else if (payload.kind === 'snapshot') {
          var data = payload.charts && payload.charts[spec.key];
          if (data) {
            applySnapshot(chart, spec, data);
            changed = true;
          }
        } else if (spec.increment && payload.at !== undefined) {
          changed = applyIncrement(chart, spec, payload.at);
        }
        if (changed) {
          chart.update();
          syncTable(figure, chart);
          canvas.setAttribute('data-chart-updated', String(Date.now()));
        }
      });
    }

    function onInstance() {
      if (!spec.append) return;
      chart.data.labels = [];
      chart.data.datasets.forEach(function (dataset) { dataset.data = []; });
      chart.update();
    }
    document.addEventListener('backstage:instance', onInstance);

    return function teardown() {
      document.removeEventListener('backstage:instance', onInstance);
      if (off) off();
      chart.destroy();
    };
  }

  live.observe('canvas[data-chart]', mount);
})();
