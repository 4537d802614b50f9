// The Users page. Every string from the server reaches the page through
// textContent (never parsed as HTML), so names with markup stay inert.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    session: null, org: '', q: '', sort: '', dir: 'asc', page: 1, size: 25,
    data: null, timer: null, invitees: [], openMenu: null,
  };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  // api calls the server; state-changing calls fetch a fresh single-use
  // CSRF token first.
  async function api(path, body) {
    const opts = { credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      const t = await fetch('/api/csrf', { credentials: 'same-origin' });
      if (!t.ok) throw { message: 'Your session has ended: open the address kubectl roster ui printed.' };
      const { token } = await t.json();
      opts.method = 'POST';
      opts.headers['Content-Type'] = 'application/json';
      opts.headers['X-Roster-CSRF'] = token;
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(path, opts);
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      if (data && data.error) throw data.error;
      throw { message: resp.status === 401 ? 'Your session has ended: open the address kubectl roster ui printed.' : 'The server answered ' + resp.status + '.' };
    }
    return data;
  }

  // plural is "1 member", "2 members".
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  function showError(node, err) {
    node.textContent = '';
    node.append(el('span', { text: err.message || String(err) }));
    if (err.hint) node.append(el('span', { class: 'hint', text: 'Hint: ' + err.hint }));
    node.hidden = false;
  }

  // notice speaks in the view that is shown (the Users list's, or
  // another view's own notice line).
  function notice(text) {
    const n = document.querySelector('main > section:not([hidden]) > .notice') || $('notice');
    n.textContent = text;
    n.hidden = false;
    clearTimeout(notice.t);
    notice.t = setTimeout(() => { n.hidden = true; }, 6000);
  }

  function ago(iso) {
    const t = new Date(iso).getTime();
    const s = Math.round((Date.now() - t) / 1000);
    if (s < 60) return 'just now';
    const m = Math.round(s / 60);
    if (m < 60) return m + ' min ago';
    const h = Math.round(m / 60);
    if (h < 48) return h + ' h ago';
    return Math.round(h / 24) + ' days ago';
  }

  function until(iso) {
    const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    if (s <= 0) return 'expired ' + ago(iso);
    const h = Math.round(s / 3600);
    if (h < 48) return 'expires in ' + Math.max(h, 1) + ' h';
    return 'expires in ' + Math.round(h / 24) + ' days';
  }

  const access = () => (state.session && state.session.access) || {};
  const myRole = () => (state.session && state.session.role) || '';

  // Which roles the user may give: an Admin is not offered Owner.
  function grantableRoles() {
    return state.session.roles.filter((r) => r !== 'Owner' || access().manageOwners);
  }

  // The row's actions, from what the user may do.
  function actionsFor(e) {
    const a = access();
    const acts = [];
    if (e.kind === 'Member') {
      const owner = e.role === 'Owner';
      const may = owner ? a.manageOwners : a.manageUsers;
      if (may && e.status !== 'removing') acts.push({ key: 'role', label: 'Change Role' });
      if (e.self) {
        if (a.leave && (myRole() === 'Owner' || myRole() === 'Admin') && e.status !== 'removing') acts.push({ key: 'leave', label: 'Leave Organization' });
      } else if (may && e.status !== 'removing') {
        acts.push({ key: 'remove', label: 'Remove Access', danger: true });
      }
    } else {
      const may = e.role === 'Owner' ? a.inviteOwners : a.invite;
      if (may && e.status !== 'revoking') {
        acts.push({ key: 'resend', label: 'Resend' });
        acts.push({ key: 'delete', label: 'Delete', danger: true });
      }
    }
    return acts;
  }

  function statusCell(e) {
    const td = el('td', { class: 'status-cell' });
    const label = e.kind === 'Member' ? (e.status === 'member' ? 'Member' : e.status) : (e.status === 'pending' ? 'Pending' : e.status);
    const cls = { member: 'ok', pending: 'pending', 'held back': 'warn', duplicate: 'warn', removing: 'muted', revoking: 'muted' }[e.status] || 'bad';
    td.append(el('span', { class: 'status ' + cls, 'data-status': e.status, text: label }));
    if (e.kind === 'Invitation') {
      const bits = [];
      if (e.phase) bits.push(e.phase);
      if (e.expiresAt) bits.push(until(e.expiresAt));
      if (bits.length) td.append(el('span', { class: 'detail', 'data-phase': e.phase || '', text: bits.join(' · ') }));
    }
    if (e.message && e.status !== 'member' && e.status !== 'pending') td.append(el('span', { class: 'detail', text: e.message }));
    return td;
  }

  function renderRows() {
    const d = state.data;
    const tbody = $('rows');
    tbody.textContent = '';
    if (!d) {
      $('count').textContent = '';
      $('page-info').textContent = '';
      $('banner').hidden = true;
      return;
    }
    if (d.items.length === 0) {
      tbody.append(el('tr', {}, el('td', { colspan: '6', class: 'empty', text: state.q ? 'No user matches “' + state.q + '”.' : 'No users yet.' })));
    }
    for (const e of d.items) {
      const name = el('td', { class: 'name-cell' }, el('div', { class: 'name-wrap' },
        el('span', { class: 'avatar', 'aria-hidden': 'true', text: (e.name.replace(/^group:/, '')[0] || '?').toUpperCase() }),
        el('span', { class: 'name', text: e.name }),
        e.self ? el('span', { class: 'you', text: 'You' }) : null,
        e.kind === 'Invitation' ? el('span', { class: 'kind', text: 'Invitation' }) : null));
      let roleText = e.role;
      const role = el('td', {}, el('span', { class: 'role role-' + e.role, text: roleText }));
      if (e.effectiveRole && e.effectiveRole !== e.role) role.append(el('span', { class: 'detail', text: 'applied: ' + e.effectiveRole }));
      const acts = actionsFor(e);
      const actCell = el('td', { class: 'actions-col' });
      if (acts.length) actCell.append(menuButton(e, acts));
      const tr = el('tr', { 'data-kind': e.kind, 'data-object': e.object, 'data-name': e.name },
        name, role, statusCell(e), el('td', { text: e.invitedBy || '—' }),
        el('td', { title: new Date(e.since).toLocaleString(), text: ago(e.since) }), actCell);
      tr.append(el('td', { class: 'row-error-cell', hidden: true }));
      tbody.append(tr);
    }
    $('count').textContent = plural(d.total, 'user', 'users') + (state.q ? (d.total === 1 ? ' matches' : ' match') : '') +
      ' · ' + plural(d.members, 'member', 'members') + ', ' + plural(d.pending, 'invitation', 'invitations');
    $('page-info').textContent = 'Page ' + d.page + ' of ' + d.pages;
    $('prev').disabled = d.page <= 1;
    $('next').disabled = d.page >= d.pages;
    const banner = $('banner');
    if (d.owners === 1) {
      banner.textContent = 'This organization has only one Owner. Assign the Owner role to a second user, so that someone can still manage it if the Owner leaves or is removed.';
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    for (const th of document.querySelectorAll('#users th[data-col]')) {
      const col = th.getAttribute('data-col');
      if (col === state.sort) th.setAttribute('aria-sort', state.dir === 'desc' ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
  }

  // menuButton is the row's selection menu: a button that opens a list of
  // actions, reachable and operable with the keyboard.
  // pick runs the chosen action (the Users list's act by default).
  function menuButton(e, acts, pick) {
    pick = pick || act;
    const wrap = el('div', { class: 'menu-wrap' });
    const id = 'menu-' + e.kind + '-' + e.object;
    const btn = el('button', { type: 'button', class: 'menu-btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': id, 'aria-label': 'Actions for ' + e.name, text: '⋮' });
    const menu = el('div', { class: 'menu', role: 'menu', id: id, hidden: true, 'aria-label': 'Actions for ' + e.name });
    for (const a of acts) {
      menu.append(el('button', { type: 'button', role: 'menuitem', class: 'menu-item' + (a.danger ? ' danger' : ''), 'data-action': a.key, tabindex: '-1', text: a.label,
        onclick: () => { closeMenu(); pick(a.key, e); } }));
    }
    btn.addEventListener('click', () => (menu.hidden ? openMenu(btn, menu) : closeMenu()));
    btn.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown') { ev.preventDefault(); openMenu(btn, menu); }
    });
    menu.addEventListener('keydown', (ev) => {
      const items = [...menu.querySelectorAll('[role=menuitem]')];
      const i = items.indexOf(document.activeElement);
      if (ev.key === 'ArrowDown') { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
      else if (ev.key === 'ArrowUp') { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
      else if (ev.key === 'Escape') { ev.preventDefault(); closeMenu(); btn.focus(); }
      else if (ev.key === 'Tab') closeMenu();
    });
    wrap.append(btn, menu);
    return wrap;
  }

  function openMenu(btn, menu) {
    closeMenu();
    menu.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    state.openMenu = { btn, menu };
    const first = menu.querySelector('[role=menuitem]');
    if (first) first.focus();
  }

  function closeMenu() {
    if (!state.openMenu) return;
    state.openMenu.menu.hidden = true;
    state.openMenu.btn.setAttribute('aria-expanded', 'false');
    state.openMenu = null;
  }

  document.addEventListener('click', (ev) => {
    if (state.openMenu && !state.openMenu.btn.parentNode.contains(ev.target)) closeMenu();
  });

  // A dialog opened from a row's menu gives the focus back to that row's
  // menu button when it closes (Update, Cancel or Escape), found again by
  // its label since a refresh may have drawn the row anew.
  let returnTo = null;
  function openDialog(d, e) {
    returnTo = e ? 'Actions for ' + e.name : null;
    d.showModal();
  }
  function closeDialog(d) {
    d.close();
  }
  function restoreFocus() {
    const back = returnTo && [...document.querySelectorAll('main section:not([hidden]) .menu-btn')].find((n) => n.getAttribute('aria-label') === returnTo);
    (back || ($('users-view').hidden ? $('main') : $('search'))).focus();
  }
  $('edit-dialog').addEventListener('close', restoreFocus);
  $('confirm-dialog').addEventListener('close', restoreFocus);

  function rowError(e, err) {
    const tr = document.querySelector('#rows tr[data-kind="' + e.kind + '"][data-object="' + CSS.escape(e.object) + '"]');
    if (!tr) return;
    const cell = tr.querySelector('.row-error-cell');
    showError(cell, err);
  }

  function act(key, e) {
    if (key === 'role') return editRole(e);
    if (key === 'remove') return confirmAction(e, 'Remove Access', 'Remove ' + e.name + ' (' + e.role + ') from ' + state.org + '? They lose access to the organization and its projects.', 'Yes, remove',
      () => api('/api/members/remove', { org: state.org, member: e.object }));
    if (key === 'leave') return confirmAction(e, 'Leave Organization', 'Leave ' + state.org + '? You lose access to the organization and its projects.', 'Yes, leave',
      () => api('/api/leave', { org: state.org }), true);
    if (key === 'delete') return confirmAction(e, 'Delete invitation', 'Delete the invitation for ' + e.name + '? Its link stops working.', 'Yes, delete',
      () => api('/api/invitations/delete', { org: state.org, invitation: e.object }));
    if (key === 'resend') {
      api('/api/invitations/resend', { org: state.org, invitation: e.object })
        .then((r) => { notice(r.message + ' (' + e.name + ')'); refresh(); })
        .catch((err) => rowError(e, err));
    }
  }

  let dialogAction = null;
  function editRole(e) {
    const sel = $('edit-role');
    sel.textContent = '';
    for (const r of grantableRoles()) sel.append(el('option', { value: r, text: r }));
    if (!grantableRoles().includes(e.role)) sel.prepend(el('option', { value: e.role, text: e.role, disabled: true }));
    sel.value = e.role;
    $('edit-user').textContent = e.name;
    $('edit-error').hidden = true;
    dialogAction = async () => {
      const role = sel.value;
      await api('/api/members/role', { org: state.org, member: e.object, role });
      notice('Changed the role of ' + e.name + ' to ' + role + '.');
    };
    openDialog($('edit-dialog'), e);
    sel.focus();
  }

  function confirmAction(e, title, text, yes, run, leaving) {
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-yes').textContent = yes;
    $('confirm-error').hidden = true;
    dialogAction = async () => {
      const r = await run();
      notice(r.message);
      // Having left, the user may no longer read the organization: the
      // page starts again with what they can still see.
      if (leaving) {
        state.data = null;
        renderRows();
        await loadSession().catch((err) => showError($('load-error'), err));
        // Whatever the caches still say, the user is no member now.
        state.session.access = {};
        state.session.role = '';
        $('my-role').textContent = 'not a member';
        $('create-users').hidden = true;
      }
    };
    openDialog($('confirm-dialog'), e);
    $('confirm-cancel').focus();
  }

  // submitDialog runs the dialog's action (dialogAction, or action for
  // another view's dialogs): closed when it succeeds, its error shown
  // beside the control when refused.
  async function submitDialog(d, errNode, ev, action) {
    ev.preventDefault();
    const btn = d.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await (action || dialogAction)();
      closeDialog(d);
      await refresh();
      emit('change');
    } catch (err) {
      showError(errNode, err);
    } finally {
      btn.disabled = false;
    }
  }

  $('edit-form').addEventListener('submit', (ev) => submitDialog($('edit-dialog'), $('edit-error'), ev));
  $('confirm-form').addEventListener('submit', (ev) => submitDialog($('confirm-dialog'), $('confirm-error'), ev));
  $('edit-cancel').addEventListener('click', () => closeDialog($('edit-dialog')));
  $('confirm-cancel').addEventListener('click', () => closeDialog($('confirm-dialog')));

  async function refresh() {
    if (!state.org) return;
    const params = new URLSearchParams({ org: state.org, q: state.q, sort: state.sort, dir: state.dir, page: String(state.page), size: String(state.size) });
    // Answers can come back out of order (two quick sort clicks, a poll):
    // only the newest request's answer is drawn.
    const seq = (state.refreshSeq = (state.refreshSeq || 0) + 1);
    try {
      const d = await api('/api/users?' + params.toString());
      if (seq !== state.refreshSeq) return;
      $('load-error').hidden = true;
      const focused = document.activeElement;
      const keep = focused && focused.closest && focused.closest('#rows') ? focused.getAttribute('aria-label') : null;
      if (state.openMenu) return; // do not pull a menu from under the user
      const same = state.data && JSON.stringify(state.data) === JSON.stringify(d);
      state.data = d;
      state.page = d.page;
      if (!same) renderRows();
      if (keep && !same) {
        const again = [...document.querySelectorAll('#rows [aria-label]')].find((n) => n.getAttribute('aria-label') === keep);
        if (again) again.focus();
      }
    } catch (err) {
      if (seq !== state.refreshSeq) return;
      showError($('load-error'), err);
      // Refused as no member (having left): no stale rows, nor controls.
      if (!myRole() && state.data) { state.data = null; renderRows(); }
    }
  }

  function schedule() {
    clearInterval(state.timer);
    const every = (state.session && state.session.pollMillis) || Number(document.body.dataset.poll) || 2000;
    state.timer = setInterval(() => { if (!document.hidden) refresh(); }, every);
  }

  async function loadSession() {
    const want = state.org || new URLSearchParams(location.search).get('org') || '';
    const s = await api('/api/session' + (want ? '?org=' + encodeURIComponent(want) : ''));
    state.session = s;
    state.org = s.organization;
    $('whoami').textContent = s.user;
    $('my-role').textContent = s.role || 'not a member';
    const sw = $('org-switcher');
    sw.textContent = '';
    const orgs = s.organizations.slice();
    if (state.org && !orgs.some((o) => o.name === state.org)) orgs.push({ name: state.org });
    for (const o of orgs) sw.append(el('option', { value: o.name, text: (o.displayName ? o.displayName + ' (' + o.name + ')' : o.name) + (o.role ? ' · ' + o.role : '') }));
    sw.value = state.org;
    $('org-title').textContent = state.org ? 'Members and pending invitations of ' + state.org : 'You belong to no organization.';
    $('create-users').hidden = !(s.access && s.access.invite);
    const url = new URL(location.href);
    url.searchParams.set('org', state.org);
    history.replaceState(null, '', url.pathname + url.search);
    emit('session');
  }

  $('org-switcher').addEventListener('change', async (ev) => {
    state.org = ev.target.value;
    state.page = 1;
    state.data = null;
    await loadSession();
    await refresh();
  });

  let searchTimer = null;
  $('search').addEventListener('input', (ev) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.q = ev.target.value.trim(); state.page = 1; refresh(); }, 200);
  });
  for (const b of document.querySelectorAll('button.sort')) {
    b.addEventListener('click', () => {
      const col = b.getAttribute('data-sort');
      if (state.sort === col) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
      else { state.sort = col; state.dir = 'asc'; }
      refresh();
    });
  }
  $('prev').addEventListener('click', () => { state.page--; refresh(); });
  $('next').addEventListener('click', () => { state.page++; refresh(); });

  // The Invite view: a comma-delimited list, then one row per address.
  function showInvite(on) {
    $('users-view').hidden = on;
    $('invite-view').hidden = !on;
    if (on) {
      $('invite-step1').hidden = false;
      $('invite-step2').hidden = true;
      $('invite-summary').hidden = true;
      $('invite-step1-error').hidden = true;
      $('invite-emails').focus();
    } else {
      $('create-users').focus();
    }
  }
  $('create-users').addEventListener('click', () => { $('invite-emails').value = ''; showInvite(true); });
  $('invite-cancel').addEventListener('click', () => showInvite(false));
  $('invite-back').addEventListener('click', () => showInvite(false));
  $('invite-edit').addEventListener('click', () => { $('invite-step2').hidden = true; $('invite-step1').hidden = false; $('invite-emails').focus(); });

  function roleSelect(id, label, value) {
    const sel = el('select', { id, 'aria-label': label });
    for (const r of grantableRoles()) sel.append(el('option', { value: r, text: r }));
    sel.value = value;
    return sel;
  }

  function renderInvitees() {
    const tbody = $('invitee-rows');
    tbody.textContent = '';
    state.invitees.forEach((inv, i) => {
      const sel = roleSelect('invitee-role-' + i, 'Role for ' + inv.email, inv.role);
      sel.disabled = !!inv.error && !inv.sent;
      sel.addEventListener('change', () => { inv.role = sel.value; });
      const result = el('td', { class: 'result' });
      if (inv.error) result.append(el('span', { class: 'field-error inline', text: inv.error.message }));
      if (inv.error && inv.error.hint) result.append(el('span', { class: 'hint', text: 'Hint: ' + inv.error.hint }));
      if (inv.sent) result.append(el('span', { class: 'status ok', text: 'Invited' }));
      const remove = el('button', { type: 'button', class: 'btn ghost small', 'aria-label': 'Remove ' + inv.email, text: 'REMOVE',
        onclick: () => { state.invitees.splice(i, 1); renderInvitees(); const next = document.querySelector('#invitee-rows button') || $('invite-edit'); next.focus(); } });
      tbody.append(el('tr', { 'data-email': inv.email, class: inv.error && !inv.sent ? 'invalid' : (inv.sent ? 'sent' : '') },
        el('td', { text: inv.email }), el('td', {}, sel), result, el('td', {}, inv.sent ? null : remove)));
    });
    const pending = state.invitees.filter((i) => !i.sent && !(i.error && i.error.malformed));
    $('invite-send').disabled = pending.length === 0 || state.invitees.some((i) => i.error && i.error.malformed);
  }

  $('invite-next').addEventListener('click', async () => {
    try {
      const r = await api('/api/invitations/check', { org: state.org, emails: $('invite-emails').value });
      if (r.rows.length === 0) { showError($('invite-step1-error'), { message: 'Enter at least one e-mail address.' }); return; }
      const def = grantableRoles().includes('Viewer') ? 'Viewer' : grantableRoles()[0];
      $('invite-default-role').textContent = '';
      for (const role of grantableRoles()) $('invite-default-role').append(el('option', { value: role, text: role }));
      $('invite-default-role').value = def;
      state.invitees = r.rows.map((row) => ({ email: row.email, role: def, error: row.ok ? null : Object.assign({ malformed: true }, row.error), sent: false }));
      $('invite-step1').hidden = true;
      $('invite-step2').hidden = false;
      $('invite-summary').hidden = true;
      renderInvitees();
      $('invite-default-role').focus();
    } catch (err) {
      showError($('invite-step1-error'), err);
    }
  });

  $('invite-default-role').addEventListener('change', (ev) => {
    for (const inv of state.invitees) if (!inv.sent) inv.role = ev.target.value;
    renderInvitees();
  });

  $('invite-send').addEventListener('click', async () => {
    const todo = state.invitees.filter((i) => !i.sent);
    $('invite-send').disabled = true;
    try {
      const r = await api('/api/invitations', { org: state.org, invitations: todo.map((i) => ({ email: i.email, role: i.role })) });
      let ok = 0;
      for (const res of r.results) {
        const inv = state.invitees.find((i) => i.email === res.email);
        if (!inv) continue;
        inv.sent = res.ok;
        inv.error = res.ok ? null : res.error;
        if (res.ok) ok++;
      }
      renderInvitees();
      const failed = r.results.length - ok;
      const s = $('invite-summary');
      s.textContent = plural(ok, 'invitation', 'invitations') + ' sent' + (failed ? '; ' + failed + ' refused: see each row.' : '.');
      s.hidden = false;
      refresh();
      if (!failed) { showInvite(false); notice(s.textContent); }
    } catch (err) {
      showError($('invite-summary'), err);
      renderInvitees();
    }
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && document.activeElement.tagName !== 'INPUT' && document.activeElement.tagName !== 'TEXTAREA' && !$('users-view').hidden) {
      ev.preventDefault();
      $('search').focus();
    }
  });

  // Other views of the page (projects.js) use these helpers rather than
  // their own copies, and hear when the session changes (another
  // organization) or a dialog has changed something.
  const listeners = { session: [], change: [] };
  function emit(kind) { for (const fn of listeners[kind]) fn(); }
  window.Roster = {
    $, el, api, plural, ago, showError, notice, menuButton, closeMenu, openDialog, closeDialog, confirmAction, submitDialog,
    session: () => state.session, org: () => state.org, menuOpen: () => !!state.openMenu,
    on: (kind, fn) => listeners[kind].push(fn),
  };

  (async function start() {
    try {
      await loadSession();
      await refresh();
    } catch (err) {
      showError($('load-error'), err);
    }
    document.body.setAttribute('data-ready', 'true');
    schedule();
  })();
})();
