// The journal grid's keyboard, paste and live-update tick (see ejournal/state/journal/grid.py and wire.py).
//
// Cells are native <input class="ej-cell"> rendered by React as uncontrolled inputs; the
// server's value, version and flags arrive as data-v / data-ver / data-f attributes.
// This script:
//  * moves between cells (arrows, Tab, Enter), clears (Delete/Backspace), reverts (Esc);
//  * commits a changed cell on leaving it by writing JSON into the hidden #ej-bus-cell
//    input; where the column allows one mark, also on its own: «н» at once, a mark after
//    a short pause (ONE_MARK_WAIT_MS), two characters at once. So «54» typed into such a
//    column is one input, refused as a whole by the server: the cell shows its stored
//    value again with the reason on it — never a saved 5 and then a red error;
//  * turns a pasted tab/newline block into one #ej-bus-paste message;
//  * keeps a cell's shown value in step with the server unless the user is typing in it;
//  * clicks #ej-poll every 2.5 s while the page is visible (live updates);
//  * takes no edit before this page's load has arrived: on a reload Reflex first shows the
//    grid of the last visit from the stored state; each load renders a new key on #ej-wrap
//    and then sets window.ejLoaded to it (see JournalState.load).
// Everything is delegated from `document`, so React re-renders never lose a handler.
(function () {
  if (window.ejGrid) return;
  var SEL = "input.ej-cell";
  var POLL_MS = 2500;
  // A mark typed into a one-mark column is saved after this pause unless more is typed.
  var ONE_MARK_WAIT_MS = 500;
  var seq = 0;
  var valueSetter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;

  function isCell(el) {
    return !!(el && el.matches && el.matches(SEL));
  }

  // The grid on screen is the page the URL names, rendered from its latest load (not the
  // last visit's grid from a hydrate, not the previous page's after a link).
  function ready() {
    var wrap = document.getElementById("ej-wrap");
    var key = window.ejLoaded || "";
    var q = new URLSearchParams(window.location.search);
    return !!wrap && wrap.getAttribute("data-load") === key && key.indexOf(q.get("a") + ":" + q.get("p") + ":") === 0;
  }

  // "Н", Latin n and the key that types н on a Russian layout (y) all mean н.
  function norm(text) {
    return (text || "").trim().toLowerCase().replace(/[nyн]/g, "н");
  }

  function keyOf(el) {
    var tr = el.closest("tr");
    return tr.getAttribute("data-sid") + ":" + el.getAttribute("data-lid");
  }

  function send(busId, message) {
    var bus = document.getElementById(busId);
    if (!bus) return false;
    message.seq = ++seq;
    valueSetter.call(bus, JSON.stringify(message));
    bus.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  // What the user started from: the value and version when they entered the cell.
  function base(el) {
    if (!el._ejBase) el._ejBase = { v: el.getAttribute("data-v") || "", ver: el.getAttribute("data-ver") || "0" };
    return el._ejBase;
  }

  function sync(el) {
    el._ejBase = { v: el.getAttribute("data-v") || "", ver: el.getAttribute("data-ver") || "0" };
  }

  // A value the server could not store (flag u, or a failed event): still to be sent.
  function unsaved(el) {
    return (el.getAttribute("data-f") || "").indexOf("u") >= 0 || el.classList.contains("ej-unsaved");
  }

  function commit(el) {
    if (el._ejTimer) {
      clearTimeout(el._ejTimer);
      el._ejTimer = null;
    }
    if (el.readOnly || !ready()) return;
    var b = base(el);
    var text = norm(el.value);
    if (el.value !== text) el.value = text;
    var retry = unsaved(el) && !el.hasAttribute("data-pending");
    if (text === b.v && !retry) return; // nothing new since the user entered the cell (or last sent)
    b.v = text;
    el.classList.remove("ej-unsaved");
    el.setAttribute("data-pending", "1");
    send("ej-bus-cell", { k: keyOf(el), t: text, v: parseInt(b.ver || "0", 10) });
  }

  function cellsOfRow(tr) {
    return Array.prototype.slice.call(tr.querySelectorAll(SEL));
  }

  function focusCell(el) {
    if (!el) return false;
    el.focus();
    try {
      el.select();
    } catch (e) {}
    return true;
  }

  function move(el, dir) {
    var td = el.closest("td");
    var tr = el.closest("tr");
    if (dir === "left" || dir === "right") {
      var cells = cellsOfRow(tr);
      var i = cells.indexOf(el) + (dir === "left" ? -1 : 1);
      if (i >= 0 && i < cells.length) return focusCell(cells[i]);
      // Past the row's end: wrap to the next/previous student's first/last cell.
      var other = dir === "right" ? tr.nextElementSibling : tr.previousElementSibling;
      while (other && !other.querySelector(SEL)) other = dir === "right" ? other.nextElementSibling : other.previousElementSibling;
      if (!other) return false;
      var oc = cellsOfRow(other);
      return focusCell(dir === "right" ? oc[0] : oc[oc.length - 1]);
    }
    var index = td.cellIndex;
    var row = dir === "down" ? tr.nextElementSibling : tr.previousElementSibling;
    while (row) {
      var cell = row.cells[index] && row.cells[index].querySelector(SEL);
      if (cell) return focusCell(cell);
      row = dir === "down" ? row.nextElementSibling : row.previousElementSibling;
    }
    return false;
  }

  var ALLOWED = /^[1-5нНnNyY]$/;

  function onKeyDown(e) {
    var el = e.target;
    if (!isCell(el)) return;
    var k = e.key;
    if (!ready() && (k.length === 1 || k === "Delete" || k === "Backspace")) {
      e.preventDefault(); // the page is still loading: nothing is typed into a stale grid
      return;
    }
    if (k === "Enter") {
      e.preventDefault();
      commit(el);
      move(el, e.shiftKey ? "up" : "down");
    } else if (k === "Tab") {
      e.preventDefault();
      commit(el);
      move(el, e.shiftKey ? "left" : "right");
    } else if (k === "ArrowDown" || k === "ArrowUp") {
      e.preventDefault();
      commit(el);
      move(el, k === "ArrowDown" ? "down" : "up");
    } else if (k === "ArrowLeft" || k === "ArrowRight") {
      var all = el.selectionStart === 0 && el.selectionEnd === el.value.length;
      var edge = k === "ArrowLeft" ? el.selectionEnd === 0 : el.selectionStart === el.value.length;
      if (all || edge) {
        e.preventDefault();
        commit(el);
        move(el, k === "ArrowLeft" ? "left" : "right");
      }
    } else if (k === "Delete" || k === "Backspace") {
      if (el.readOnly) {
        e.preventDefault();
        return;
      }
      var whole = el.selectionStart === 0 && el.selectionEnd === el.value.length;
      if (k === "Delete" || whole || el.value.length <= 1) {
        e.preventDefault();
        el.value = "";
        commit(el);
      }
    } else if (k === "Escape") {
      el.value = el.getAttribute("data-v") || "";
      sync(el);
      el.select();
    } else if (k.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
      if (el.readOnly || !ALLOWED.test(k)) {
        e.preventDefault();
        el.classList.add("ej-bad-key");
        setTimeout(function () {
          el.classList.remove("ej-bad-key");
        }, 250);
        return;
      }
      var ch = norm(k);
      if (ch !== k) {
        // Type the normalised letter ourselves (н for y/n/Н).
        e.preventDefault();
        var s = el.selectionStart, t = el.selectionEnd;
        el.value = (el.value.slice(0, s) + ch + el.value.slice(t)).slice(0, 2);
        el.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
  }

  function onInput(e) {
    var el = e.target;
    if (!isCell(el) || el.readOnly) return;
    var text = norm(el.value);
    if (el._ejTimer) {
      clearTimeout(el._ejTimer);
      el._ejTimer = null;
    }
    if (text === "н") return commit(el); // nothing can follow «н»: save now
    if (el.getAttribute("data-two") === "1") return; // a second mark may follow: save on leaving
    // One mark per cell here: a lone mark is saved after a pause; a second character
    // makes the input one the column cannot take, sent at once to be refused whole.
    if (text.length >= 2) return commit(el);
    if (text.length === 1) {
      el._ejTimer = setTimeout(function () {
        el._ejTimer = null;
        commit(el);
      }, ONE_MARK_WAIT_MS);
    }
  }

  function onFocusIn(e) {
    var el = e.target;
    if (!isCell(el)) return;
    if (!el.hasAttribute("data-pending")) sync(el);
    try {
      el.select();
    } catch (err) {}
  }

  function onFocusOut(e) {
    if (isCell(e.target)) commit(e.target);
  }

  function onPaste(e) {
    var el = e.target;
    if (!isCell(el)) return;
    if (!ready()) {
      e.preventDefault();
      return;
    }
    var text = (e.clipboardData || window.clipboardData).getData("text/plain") || "";
    text = text.replace(/\r/g, "").replace(/\n+$/, "");
    if (!/[\t\n]/.test(text)) return; // one value: the browser pastes it, leaving commits it
    e.preventDefault();
    var rows = text.split("\n").map(function (r) {
      return r.split("\t").map(norm);
    });
    var startRow = el.closest("tr");
    var startCells = cellsOfRow(startRow);
    var col = startCells.indexOf(el);
    var width = Math.max.apply(null, rows.map(function (r) { return r.length; }));
    var lids = startCells.slice(col, col + width).map(function (c) { return c.getAttribute("data-lid"); });
    var sids = [];
    var targets = [];
    var tr = startRow;
    for (var r = 0; r < rows.length && tr; r++) {
      while (tr && !tr.querySelector(SEL)) tr = tr.nextElementSibling;
      if (!tr) break;
      sids.push(tr.getAttribute("data-sid"));
      targets.push(cellsOfRow(tr).slice(col, col + lids.length));
      tr = tr.nextElementSibling;
    }
    var block = rows.slice(0, sids.length).map(function (r) {
      var out = [];
      for (var i = 0; i < lids.length; i++) out.push(r[i] || "");
      return out;
    });
    targets.forEach(function (cells, r) {
      cells.forEach(function (c, i) {
        c.value = block[r][i];
        c.setAttribute("data-pending", "1");
        c._ejBase = { v: block[r][i], ver: c.getAttribute("data-ver") || "0" };
      });
    });
    send("ej-bus-paste", { sids: sids, lids: lids, rows: block });
  }

  // The server changed a cell (save, refusal, conflict, someone else): show it, unless
  // the user is in the middle of typing something else into that very cell.
  var observer = new MutationObserver(function (records) {
    records.forEach(function (rec) {
      var el = rec.target;
      if (!isCell(el)) return;
      var server = el.getAttribute("data-v") || "";
      var typing = document.activeElement === el && norm(el.value) !== base(el).v;
      if (!typing) {
        if (el.value !== server) el.value = server;
        sync(el);
      }
      el.removeAttribute("data-pending");
      el.classList.remove("ej-unsaved");
    });
  });

  function ack(key) {
    document.querySelectorAll(SEL + "[data-pending]").forEach(function (el) {
      if (key === undefined || keyOf(el) === key) {
        el.removeAttribute("data-pending");
        // Show the server's value unless the user has typed something new since sending
        // (a refused input leaves the stored value, even in the cell still being edited).
        if (document.activeElement !== el || norm(el.value) === base(el).v) {
          el.value = el.getAttribute("data-v") || "";
          sync(el);
        }
      }
    });
  }

  // The server failed an event before it could answer for the cells (see
  // JournalState._on_failure): keep what was typed, mark it unsaved, let Enter resend it.
  function failPending() {
    document.querySelectorAll(SEL + "[data-pending]").forEach(function (el) {
      el.removeAttribute("data-pending");
      el.classList.add("ej-unsaved");
      el.title = "Не сохранено: нажмите Enter в клетке, чтобы сохранить ещё раз.";
    });
  }

  // Scroll to a lesson (the URL's l) and outline it; with a student (s) highlight the row
  // and, with both, outline and focus that one cell (the deputy's checklist links here).
  function showLesson(lessonId, studentId) {
    var tries = 0;
    function attempt() {
      var wrap = document.getElementById("ej-wrap");
      if (!wrap || (studentId && !wrap.querySelector('tr[data-sid="' + studentId + '"]'))) {
        if (++tries < 40) setTimeout(attempt, 100);
        return;
      }
      wrap.querySelectorAll(".ej-target, .ej-target-row, .ej-target-col").forEach(function (el) {
        el.classList.remove("ej-target", "ej-target-row", "ej-target-col");
      });
      var th = lessonId ? wrap.querySelector('th[data-lid="' + lessonId + '"]') : null;
      if (!th) {
        var heads = wrap.querySelectorAll("th[data-lid]");
        th = heads[heads.length - 1];
        // The last lesson that has already taken place (editable), else the last one.
        for (var i = heads.length - 1; i >= 0; i--) {
          if (heads[i].getAttribute("data-ed") === "1") {
            th = heads[i];
            break;
          }
        }
      }
      if (th) wrap.scrollLeft = Math.max(0, th.offsetLeft - wrap.clientWidth / 2);
      var found = lessonId && th && th.getAttribute("data-lid") === String(lessonId);
      if (found) th.classList.add("ej-target");
      var row = studentId ? wrap.querySelector('tr[data-sid="' + studentId + '"]') : null;
      if (row) {
        row.classList.add("ej-target-row");
        wrap.scrollTop = Math.max(0, row.offsetTop - wrap.clientHeight / 2);
      }
      if (!found) return;
      var inputs = wrap.querySelectorAll(SEL + '[data-lid="' + lessonId + '"]');
      if (row) {
        var input = row.querySelector(SEL + '[data-lid="' + lessonId + '"]');
        if (input) {
          input.closest("td").classList.add("ej-target");
          try {
            input.focus({ preventScroll: true });
          } catch (e) {}
        }
      } else {
        inputs.forEach(function (el) {
          el.closest("td").classList.add("ej-target-col");
        });
      }
    }
    attempt();
  }

  document.addEventListener("keydown", onKeyDown, true);
  document.addEventListener("input", onInput, true);
  document.addEventListener("focusin", onFocusIn, true);
  document.addEventListener("focusout", onFocusOut, true);
  document.addEventListener("paste", onPaste, true);
  observer.observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["data-v", "data-ver", "data-f"],
  });
  setInterval(function () {
    if (document.hidden || window.ejPollPaused) return;
    var tick = document.getElementById("ej-poll");
    if (tick) tick.click();
  }, POLL_MS);

  window.ejGrid = {
    ack: ack,
    ackAll: function () {
      ack();
    },
    failPending: failPending,
    showLesson: showLesson,
    commit: commit,
    ready: ready,
  };
})();
