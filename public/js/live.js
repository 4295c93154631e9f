// express-backstage: live updates. One EventSource per page for every topic its
// parts watch (`<mount>/live?topics=a,b`), reopened when that set changes.
// No inline script, no inline style: loaded with `defer` under `script-src 'self'`.
(function () {
  'use strict';

  var handlers = {}; // topic -> array of functions(event)
  var liveUrl = null;
  var source = null;
  var sourceTopics = '';
  var reopenTimer = null;
  var retryTimer = null;
  var state = 'idle';

  function topicsWanted() {
    return Object.keys(handlers).filter(function (topic) { return handlers[topic].length > 0; }).sort().join(',');
  }

  function setState(next) {
    state = next;
    var texts = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', stopped: 'Live updates stopped: reload the page', idle: 'Live', paused: 'Paused while hidden' };
    var nodes = document.querySelectorAll('[data-live-status]');
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].hidden = false;
      nodes[i].textContent = texts[next] || next;
      nodes[i].setAttribute('data-state', next);
    }
  }

  function dispatch(topic, data) {
    var event;
    try {
      event = JSON.parse(data);
    } catch (e) {
      return;
    }
    var list = (handlers[topic] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](event);
      } catch (e) {
        if (window.console) console.error('express-backstage: a live update failed', e);
      }
    }
  }

  function open() {
    reopenTimer = null;
    var wanted = topicsWanted();
    if (document.hidden) return;
    if (source && wanted === sourceTopics && source.readyState !== 2) return;
    if (source) source.close();
    source = null;
    sourceTopics = wanted;
    if (!wanted || !liveUrl || typeof window.EventSource !== 'function') return;
    var es = new EventSource(liveUrl + '?topics=' + encodeURIComponent(wanted));
    source = es;
    setState('connecting');
    es.onopen = function () {
      if (source === es) setState('live');
    };
    es.onerror = function () {
      if (source !== es) return;
      if (es.readyState === 2) {
        // Refused (signed out, demoted, shut down): say so, and try again now and then.
        setState('stopped');
        clearTimeout(retryTimer);
        retryTimer = setTimeout(function () {
          if (source === es) {
            source = null;
            open();
          }
        }, 30000);
      } else {
        setState('reconnecting');
      }
    };
    wanted.split(',').forEach(function (topic) {
      es.addEventListener(topic, function (message) {
        if (source === es) dispatch(topic, message.data);
      });
    });
  }

  function scheduleOpen() {
    if (reopenTimer) return;
    reopenTimer = setTimeout(open, 30);
  }

  // A hidden tab takes nothing: its stream closes, and the server stops reading
  // for it (a poller runs only while some visible page watches its topic).
  // Visible again, it reopens; the server sends the current state first.
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      clearTimeout(reopenTimer);
      reopenTimer = null;
      clearTimeout(retryTimer);
      if (source) source.close();
      source = null;
      sourceTopics = '';
      setState('paused');
    } else {
      scheduleOpen();
    }
  });

  /** Calls `handler({ topic, origin, at, payload })` for each event on `topic`; returns the unsubscribe function. */
  function subscribe(url, topic, handler) {
    if (!liveUrl && url) liveUrl = url;
    (handlers[topic] = handlers[topic] || []).push(handler);
    scheduleOpen();
    return function () {
      var list = handlers[topic] || [];
      var at = list.indexOf(handler);
      if (at >= 0) list.splice(at, 1);
      scheduleOpen();
    };
  }

  // ---- Mounting parts of the page, and tearing them down when htmx (or anything) removes them ----

  var mounters = []; // { selector, mount }
  var mounted = []; // { element, teardown }

  function mountIn(root) {
    if (!root || root.nodeType !== 1) return;
    mounters.forEach(function (m) {
      var found = root.matches(m.selector) ? [root] : [];
      var inside = root.querySelectorAll(m.selector);
      for (var i = 0; i < inside.length; i++) found.push(inside[i]);
      found.forEach(function (element) {
        for (var j = 0; j < mounted.length; j++) if (mounted[j].element === element) return;
        var teardown = null;
        try {
          teardown = m.mount(element);
        } catch (e) {
          if (window.console) console.error('express-backstage: could not start a live part of the page', e);
        }
        mounted.push({ element: element, teardown: teardown });
      });
    });
  }

  function sweep() {
    mounted = mounted.filter(function (entry) {
      if (entry.element.isConnected) return true;
      if (typeof entry.teardown === 'function') {
        try {
          entry.teardown();
        } catch (e) {
          /* already gone */
        }
      }
      return false;
    });
  }

  var observer = new MutationObserver(function (records) {
    var removed = false;
    records.forEach(function (record) {
      if (record.removedNodes.length) removed = true;
      for (var i = 0; i < record.addedNodes.length; i++) mountIn(record.addedNodes[i]);
    });
    if (removed) sweep();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });

  /** Runs `mount(element)` for every element matching `selector`, now and when added later; its return value is called when the element leaves the page. */
  function observe(selector, mount) {
    mounters.push({ selector: selector, mount: mount });
    mountIn(document.body);
  }

  // ---- The instance selector of the runtime page ----

  function instanceSelect() {
    return document.querySelector('select[data-live-instance]');
  }

  /** The instance the page shows, or null when it shows whatever arrives (one instance). */
  function selectedInstance() {
    var select = instanceSelect();
    return select ? select.value : null;
  }

  function noteInstance(origin) {
    var select = instanceSelect();
    if (!select || !origin) return;
    for (var i = 0; i < select.options.length; i++) if (select.options[i].value === origin) return;
    var option = document.createElement('option');
    option.value = origin;
    option.textContent = origin;
    select.appendChild(option);
  }

  document.addEventListener('change', function (event) {
    if (event.target && event.target.matches && event.target.matches('select[data-live-instance]')) {
      document.dispatchEvent(new CustomEvent('backstage:instance', { detail: { instance: event.target.value } }));
    }
  });

  // ---- Tiles: snapshot texts, and `{ at }` events counted in ----

  var NUMBER = new Intl.NumberFormat('en-US');

  observe('[data-live-tile][data-live-topic]', function (tile) {
    var key = tile.getAttribute('data-live-tile');
    return subscribe(tile.getAttribute('data-live-url'), tile.getAttribute('data-live-topic'), function (event) {
      var payload = event.payload || {};
      var value = tile.querySelector('[data-tile-value]');
      var hint = tile.querySelector('[data-tile-hint]');
      if (payload.kind === 'snapshot') {
        var text = payload.tiles && payload.tiles[key];
        if (!text) return;
        if (value && value.textContent !== text.value) {
          value.textContent = text.value;
          flash(tile);
        }
        if (hint && text.hint !== undefined) hint.textContent = text.hint;
      } else if (payload.at !== undefined && tile.hasAttribute('data-live-count') && value) {
        var n = Number(value.textContent.replace(/[^0-9]/g, ''));
        if (isFinite(n)) {
          value.textContent = NUMBER.format(n + 1);
          flash(tile);
        }
      }
    });
  });

  function flash(element) {
    element.classList.remove('live-changed');
    void element.offsetWidth; // restart the CSS animation
    element.classList.add('live-changed');
  }

  // ---- Runtime figures: sections of facts and small tables, rebuilt from each sample ----

  function rebuildFacts(section, facts, error) {
    var dl = section.querySelector('[data-live-facts]');
    var problem = section.querySelector('[data-live-error]');
    if (problem) {
      problem.hidden = !error;
      problem.textContent = error || '';
    }
    if (!dl) return;
    var fragment = document.createDocumentFragment();
    facts.forEach(function (fact) {
      var dt = document.createElement('dt');
      dt.textContent = fact[0];
      var dd = document.createElement('dd');
      dd.textContent = fact[1];
      fragment.appendChild(dt);
      fragment.appendChild(dd);
    });
    dl.replaceChildren(fragment);
  }

  function rebuildTable(holder, table) {
    var thead = holder.querySelector('thead tr');
    var tbody = holder.querySelector('tbody');
    var note = holder.querySelector('[data-live-note]');
    if (!thead || !tbody) return;
    table = table || { columns: [], rows: [] };
    var head = document.createDocumentFragment();
    table.columns.forEach(function (column) {
      var th = document.createElement('th');
      th.scope = 'col';
      th.textContent = column;
      head.appendChild(th);
    });
    thead.replaceChildren(head);
    var body = document.createDocumentFragment();
    table.rows.forEach(function (row) {
      var tr = document.createElement('tr');
      row.forEach(function (cell) {
        var td = document.createElement('td');
        td.textContent = cell;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    tbody.replaceChildren(body);
    if (note) {
      note.hidden = !table.note;
      note.textContent = table.note || '';
    }
  }

  observe('[data-live-scope][data-live-topic]', function (scope) {
    function waiting(instance) {
      var origin = scope.querySelector('[data-live-origin]');
      if (origin) origin.textContent = instance + ' (waiting for its next sample…)';
    }
    function onInstance(event) {
      waiting(event.detail.instance);
    }
    document.addEventListener('backstage:instance', onInstance);
    var off = subscribe(scope.getAttribute('data-live-url'), scope.getAttribute('data-live-topic'), function (event) {
      noteInstance(event.origin);
      var shown = selectedInstance();
      if (shown && shown !== event.origin) return;
      var sample = event.payload || {};
      var origin = scope.querySelector('[data-live-origin]');
      if (origin) origin.textContent = event.origin;
      var at = scope.querySelector('[data-live-at]');
      if (at) at.textContent = new Date(sample.at || event.at).toISOString().slice(11, 19);
      (sample.sections || []).forEach(function (section) {
        var node = scope.querySelector('[data-live-section="' + section.id + '"]');
        if (node) rebuildFacts(node, section.facts || [], section.error);
      });
      var tables = sample.tables || {};
      Object.keys(tables).forEach(function (id) {
        var node = scope.querySelector('[data-live-table="' + id + '"]');
        if (node) rebuildTable(node, tables[id]);
      });
    });
    return function () {
      document.removeEventListener('backstage:instance', onInstance);
      off();
    };
  });

  // ---- A bulk queue action's progress ----

  observe('[data-bulk-run][data-live-topic]', function (card) {
    var id = card.getAttribute('data-bulk-run');
    var SENTENCES = {
      running: 'Running: batches of at most 1,000 jobs, with a pause between them.',
      cancelling: 'Cancelling: it stops after the batch it is doing.',
    };
    var refreshing = false;
    return subscribe(card.getAttribute('data-live-url'), card.getAttribute('data-live-topic'), function (event) {
      var run = event.payload || {};
      if (run.id !== id) return;
      var bar = card.querySelector('[data-run-progress]');
      if (bar) bar.value = Math.min(run.done + run.skipped, run.target);
      ['done', 'skipped', 'target', 'batches'].forEach(function (field) {
        var node = card.querySelector('[data-run-field="' + field + '"]');
        if (node) node.textContent = NUMBER.format(run[field] || 0);
      });
      var status = card.querySelector('[data-run-status]');
      if (status && SENTENCES[run.status]) {
        status.setAttribute('data-run-status', run.status);
        status.textContent = SENTENCES[run.status];
      }
      if (run.status === 'cancelling') {
        var button = card.querySelector('[data-run-cancel] button');
        if (button) button.disabled = true;
      }
      // Ended and its audit event written (or not): the server renders the final state.
      if (run.audit !== 'pending' && !refreshing) {
        refreshing = true;
        fetch(window.location.pathname, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) {
            if (html && card.isConnected) card.outerHTML = html;
          })
          .catch(function () { refreshing = false; });
      }
    });
  });

  window.BackstageLive = {
    subscribe: subscribe,
    observe: observe,
    selectedInstance: selectedInstance,
    get state() {
      return state;
    },
  };
})();
