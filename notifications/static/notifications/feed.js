// The feed page's script. Live (first page only): a WebSocket announces new notifications (ids
// only); the page fetches everything after the newest it shows, so a push missed while away (lid
// closed, network gone, server restarted) is caught up on reconnect and nothing is shown twice. A
// colleague marking an item done or assigning it is announced the same way ("changed", ids only)
// and the items are fetched again. On every page: "Mark read" and "Done" act in place (no reload;
// without JavaScript they are plain forms), times read "3 min ago" (the full time on hover), items
// about one client within minutes of each other are folded behind their newest, and the keyboard
// moves, opens and marks (press ? for the list).
// Every value from the server is written as text, never as markup: company and filing texts come
// from outside.
(function () {
  "use strict";
  const list = document.getElementById("feed");
  if (!list) return;
  const api = list.dataset.api;
  const status = document.getElementById("live-status");
  const badge = document.getElementById("unread-count");
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  const csrfInput = document.querySelector("#read-all input[name=csrfmiddlewaretoken]");
  let newest = Number(list.dataset.newest) || 0;
  let current = null;  // the item the keyboard acts on

  function setUnread(count) {
    badge.textContent = String(count);
    document.title = (count ? "(" + count + ") " : "") + baseTitle;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Times: "3 min ago", the full time in the title; redone every minute.
  function ago(when, now) {
    const minutes = Math.floor((now - when) / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min ago";
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + (hours === 1 ? " hour ago" : " hours ago");
    const days = Math.floor(hours / 24);
    if (days < 7) return days + (days === 1 ? " day ago" : " days ago");
    const sameYear = new Date(when).getFullYear() === new Date(now).getFullYear();
    return new Date(when).toLocaleDateString("en-GB", sameYear
      ? { day: "numeric", month: "short" } : { day: "numeric", month: "short", year: "numeric" });
  }

  function showTimes() {
    const now = Date.now();
    for (const time of list.querySelectorAll("time[datetime]")) {
      const when = Date.parse(time.getAttribute("datetime"));
      if (!isNaN(when)) time.textContent = ago(when, now);
    }
  }

  function render(item) {
    const li = el("li", "item fresh" + (item.read ? "" : " unread") + (item.severity === "urgent" ? " urgent" : ""));
    li.id = "n" + item.id;
    li.dataset.id = String(item.id);
    li.dataset.company = item.company_number;
    const meta = el("div", "meta");
    if (item.severity === "urgent") meta.append(el("span", "tag urgent", "Urgent"));
    const company = el("span", "company");
    const client = el("a", "client");
    client.href = item.client_url;  // the client's page: its timeline, profile and notes
    client.append(el("strong", "", item.company_name || item.company_number));
    company.append(client, document.createTextNode(" (" + item.company_number + ")"));
    meta.append(company);
    if (item.client_references && item.client_references.length) {
      meta.append(el("span", "", "Your ref: " + item.client_references.join(", ")));
    }
    meta.append(el("span", "", item.category_label));
    if (item.published_at) {
      const time = el("time", "", item.published_display);
      time.setAttribute("datetime", item.published_at);
      time.title = "Published " + item.published_display;
      meta.append(time);
      if (item.late_by) meta.append(el("span", "", "reached us " + item.late_by + " later"));
    }
    const heading = el("h2");
    const open = el("a", "", item.title);
    open.href = item.url;
    heading.append(open);
    const row = el("div", "row");
    if (item.body) row.append(el("p", "body", item.body));
    if (item.links && item.links.length) {
      const links = el("ul", "links");
      for (const link of item.links) {
        const a = el("a", "", link.label);
        a.href = link.url;  // only https links are sent
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        const entry = el("li");
        entry.append(a);
        links.append(entry);
      }
      row.append(links);
    }
    row.append(el("div", "work"));
    li.append(meta, heading, row);
    showWork(li, item);
    return li;
  }

  // The practice's state of an item and its buttons, from the API's item (render and "changed").
  function showWork(li, item) {
    const work = li.querySelector(".work") || li.appendChild(el("div", "work"));
    work.replaceChildren();
    li.classList.toggle("unread", !item.read);
    li.classList.toggle("done", !!item.done);
    if (item.done) work.append(el("span", "done-by", "Done by " + (item.done_by || "a colleague")));
    if (item.assignee) work.append(el("span", "assignee", "Assigned to " + item.assignee));
    if (!item.read) work.append(action("Mark read", list.dataset.readUrl.replace(/0\/$/, item.id + "/"), li));
    if (!item.done) work.append(action("Done", item.url + "done/", li));
  }

  function action(label, url, li) {
    const button = el("button", "quiet", label);
    button.type = "button";
    button.addEventListener("click", function () { act(url, li); });
    return button;
  }

  async function act(url, li) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfInput ? csrfInput.value : "", Accept: "application/json" },
    });
    if (!response.ok) return;
    const data = await response.json();
    setUnread(data.unread);
    if (data.item && data.item.title !== undefined) {
      showWork(li, data.item);
    } else {  // marked read: the answer is the count only
      li.classList.remove("unread");
      for (const control of li.querySelectorAll(".work form, .work button")) {
        if (control.textContent.trim() === "Mark read") control.remove();
      }
    }
  }

  // The server-rendered items' forms, made to act in place.
  for (const form of list.querySelectorAll(".item .work form")) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      act(form.action, form.closest(".item"));
    });
  }

  // Groups: consecutive items about one company, each within GROUP_GAP of the one before, shown
  // as the newest with "2 more about ..."; an urgent item is never folded under another. Every item
  // stays an li of the list (live updates find them by id); regrouped whenever items arrive.
  const GROUP_GAP = 10 * 60 * 1000;
  const opened = new Set();  // ids of the items in groups the reader opened
  let groups = [];

  function items() { return Array.from(list.querySelectorAll(":scope > li.item")); }

  function timeOf(li) {
    const time = li.querySelector(".meta time[datetime]");
    return time ? Date.parse(time.getAttribute("datetime")) : NaN;
  }

  function regroup() {
    groups = [];
    let members = null;
    let company = "";
    let last = NaN;
    for (const li of items()) {
      const when = timeOf(li);
      const same = members && li.dataset.company && li.dataset.company === company
        && Math.abs(when - last) <= GROUP_GAP && !li.classList.contains("urgent");
      if (same) members.push(li);
      else groups.push(members = [li]);
      company = li.dataset.company || "";
      last = when;
    }
    for (const members of groups) {
      const open = members.some(function (li) { return opened.has(li.dataset.id); });
      members.forEach(function (li, i) {
        li.classList.toggle("folded", i > 0 && !open);
        li.classList.toggle("in-group", i > 0);
        if (i > 0) { const stale = li.querySelector(".more"); if (stale) stale.remove(); }
      });
      const lead = members[0];
      let toggle = lead.querySelector(".more");
      if (members.length === 1) { if (toggle) toggle.remove(); continue; }
      if (!toggle) {
        toggle = el("button", "more");
        toggle.type = "button";
        toggle.addEventListener("click", function () { toggleGroup(lead); });
        (lead.querySelector(".meta") || lead).append(toggle);
      }
      const name = lead.querySelector(".company strong");
      toggle.textContent = (members.length - 1) + " more about " + (name ? name.textContent : lead.dataset.company);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (current && current.classList.contains("folded")) setCurrent(leadOf(current), false);
  }

  function groupOf(li) {
    return groups.find(function (members) { return members.indexOf(li) >= 0; }) || [li];
  }

  function leadOf(li) { return groupOf(li)[0]; }

  function toggleGroup(li) {
    const members = groupOf(li);
    const open = members.some(function (m) { return opened.has(m.dataset.id); });
    for (const m of members) {
      if (open) opened.delete(m.dataset.id);
      else opened.add(m.dataset.id);
    }
    regroup();
  }

  // A long text shows in full on a click (and with x); the item's page always has it all.
  list.addEventListener("click", function (event) {
    const body = event.target.closest(".body");
    if (body && body.classList.contains("long")) body.closest(".item").classList.toggle("expanded");
    const li = event.target.closest("li.item");
    if (li && li !== current) setCurrent(li, false);
  });

  function markLong() {
    for (const body of list.querySelectorAll(".item .body")) {
      const long = body.scrollWidth > body.clientWidth + 1 || body.textContent.indexOf("\n") >= 0;
      body.classList.toggle("long", long || body.closest(".item").classList.contains("expanded"));
      if (body.classList.contains("long")) body.title = "Show the whole text";
    }
  }

  // The keyboard: j/k move, o or Enter open, e done, r read or unread, x expand, ? the list.
  const help = document.getElementById("keys");
  const hint = document.getElementById("keys-hint");
  if (hint) hint.hidden = false;

  function setCurrent(li, focus) {
    if (current) current.classList.remove("current");
    current = li || null;
    if (!current) return;
    current.classList.add("current");
    if (focus) {
      current.tabIndex = -1;
      current.focus({ preventScroll: true });
      current.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const shown = items().filter(function (li) { return !li.classList.contains("folded"); });
    if (!shown.length) return;
    const at = shown.indexOf(current);
    const next = at < 0 ? 0 : Math.max(0, Math.min(shown.length - 1, at + step));
    setCurrent(shown[next], true);
  }

  function button(li, label) {
    return Array.from(li.querySelectorAll(".work button")).find(function (b) {
      return b.textContent.trim() === label;
    });
  }

  function toggleRead(li) {
    if (li.classList.contains("unread")) {
      const read = button(li, "Mark read");
      if (read) read.click();
      return;
    }
    const link = li.querySelector("h2 a");
    if (link) act(link.getAttribute("href") + "unread/", li);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) return;
    const key = event.key;
    if (key === "?") { help.hidden = !help.hidden; event.preventDefault(); return; }
    if (key === "Escape" && !help.hidden) { help.hidden = true; return; }
    if (key === "j" || key === "k") { move(key === "j" ? 1 : -1); event.preventDefault(); return; }
    if (!current || !current.isConnected) return;
    if (key === "o" || (key === "Enter" && target === current)) {
      const link = current.querySelector("h2 a");
      if (link) location.href = link.href;
    } else if (key === "e") {
      const done = button(current, "Done");
      if (done) done.click();
    } else if (key === "r") {
      toggleRead(current);
    } else if (key === "x") {
      current.classList.toggle("expanded");
      if (groupOf(current).length > 1) toggleGroup(current);
      markLong();
    } else {
      return;
    }
    event.preventDefault();
  });

  // The filters: folded into "Filter" on a phone, open on anything wider.
  const filterBox = document.getElementById("filter-box");
  const phone = window.matchMedia("(max-width: 40rem)");
  function fitFilters() { if (filterBox) filterBox.open = !phone.matches; }
  fitFilters();
  if (phone.addEventListener) phone.addEventListener("change", fitFilters);

  function arranged() {
    showTimes();
    regroup();
    markLong();
  }
  arranged();
  setInterval(showTimes, 60000);
  window.addEventListener("resize", markLong);

  if (list.dataset.live !== "1") return;  // older pages: nothing new arrives there

  async function refresh(ids) {
    const shown = ids.filter(function (id) { return document.getElementById("n" + id); });
    if (!shown.length) return;
    const url = api.split("?")[0] + "?ids=" + shown.join(",");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    for (const item of data.items) {
      const li = document.getElementById("n" + item.id);
      if (li) showWork(li, item);
    }
    setUnread(data.unread);
  }

  function notifyDesktop(item) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const who = item.company_name || item.company_number;
    const shown = new Notification(who + ": " + item.title, { body: item.body || "", tag: "n" + item.id });
    shown.onclick = function () { window.focus(); location.href = item.url; };  // the item's own page
  }

  let fetching = false;
  let again = false;
  async function catchUp(announce) {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      for (;;) {
        const url = api + (api.indexOf("?") >= 0 ? "&" : "?") + "after=" + newest;
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) break;
        const data = await response.json();
        let added = false;
        for (const item of data.items) {
          if (item.id > newest) newest = item.id;
          if (document.getElementById("n" + item.id)) continue;  // shown already: never twice
          const empty = document.getElementById("empty");
          if (empty) empty.remove();
          list.prepend(render(item));
          added = true;
          if (announce) notifyDesktop(item);
        }
        if (added) arranged();
        setUnread(data.unread);
        if (data.items.length < data.limit) break;
      }
    } catch (error) {
      // the socket's reconnect brings another catch-up
    } finally {
      fetching = false;
      if (again) { again = false; catchUp(announce); }
    }
  }

  const desktop = document.getElementById("desktop");
  if (desktop && "Notification" in window && Notification.permission === "default") {
    desktop.hidden = false;
    desktop.addEventListener("click", function () {
      Notification.requestPermission().then(function () { desktop.hidden = true; });
    });
  }

  let attempt = 0;
  let pinger = null;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + list.dataset.ws);
    socket.addEventListener("open", function () {
      attempt = 0;
      list.dataset.connected = "1";
      status.textContent = "Live: new items appear at the top as Companies House publishes them.";
      catchUp(false);  // whatever arrived while the page was loading, or away
      pinger = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
    });
    socket.addEventListener("message", function (event) {
      const message = JSON.parse(event.data);
      if (message.type === "new") catchUp(true);
      else if (message.type === "changed") refresh(message.ids || []);
    });
    socket.addEventListener("close", function () {
      list.dataset.connected = "0";
      clearInterval(pinger);
      const ceiling = Math.min(30000, 500 * Math.pow(2, attempt));
      attempt += 1;
      status.textContent = "Connection lost: reconnecting...";
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    });
  }
  connect();
})();
