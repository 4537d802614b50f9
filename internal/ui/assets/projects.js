// The Projects view: the organization's Projects, their environments and
// namespaces, and the signed-in user's access there. It uses the Users
// page's helpers (window.Roster, app.js) for requests, errors, menus and
// dialogs. Strings from the server reach the page through textContent only.
'use strict';

(function () {
  const R = window.Roster;
  if (!R) return;
  const { $, el, api } = R;
  const state = { data: null, timer: null, dialogProject: null, envMode: '' };

  // A DNS label, as the Project CRD and the API server want a project's or
  // an environment's name: it names namespaces.
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  function nameProblem(what, name) {
    if (name === '') return 'Enter a name for the ' + what + '.';
    if (name.length > 63) return 'The ' + what + ' name "' + name + '" is longer than 63 characters.';
    if (!label.test(name)) {
      return 'The ' + what + ' name "' + name + '" is not a DNS label: use lower-case letters, digits and \'-\', starting and ending with a letter or digit' +
        (name.toLowerCase() !== name ? ' (no capitals: "' + name.toLowerCase() + '")' : '') + '.';
    }
    return '';
  }
  function splitEnvs(text) {
    return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  const shown = () => !$('projects-view').hidden;

  // showView switches between the Users list and the Projects view.
  function showView(view, focus) {
    const projects = view === 'projects';
    $('users-view').hidden = projects;
    $('invite-view').hidden = true;
    $('projects-view').hidden = !projects;
    for (const [id, on] of [['nav-users', !projects], ['nav-projects', projects]]) {
      $(id).classList.toggle('active', on);
      if (on) $(id).setAttribute('aria-current', 'page'); else $(id).removeAttribute('aria-current');
    }
    document.title = (projects ? 'Projects' : 'Users') + ' · Roster';
    const url = new URL(location.href);
    if (projects) url.searchParams.set('view', 'projects'); else url.searchParams.delete('view');
    history.replaceState(null, '', url.pathname + url.search);
    if (projects) refresh();
    if (focus) (projects ? $('projects-title') : $('users-title')).focus();
  }
  $('projects-title').setAttribute('tabindex', '-1');
  $('users-title').setAttribute('tabindex', '-1');
  $('nav-projects').addEventListener('click', (ev) => { ev.preventDefault(); showView('projects', true); });
  $('nav-users').addEventListener('click', (ev) => { ev.preventDefault(); showView('users', true); });

  const phaseClass = { Active: 'ok', Pending: 'pending', Terminating: 'muted', Conflict: 'bad' };
  const reasonText = {
    Ready: 'Ready', Reconciling: 'Reconciling', NamespaceConflict: 'Namespace conflict',
    DeletionNeedsConfirmation: 'Needs confirmation', ProjectLimitExceeded: 'Over the limit', OrganizationMissing: 'No organization',
  };

  const held = (p) => p.namespaces.filter((n) => n.held).map((n) => n.name);

  function actionsFor(p) {
    const acts = [];
    if (!p.deleting) {
      acts.push({ key: 'add-env', label: 'Add environment' });
      if (p.environments.length > 0) acts.push({ key: 'remove-env', label: 'Remove environment' });
    }
    if (held(p).length) acts.push({ key: 'confirm', label: 'Confirm deletion', danger: true });
    if (!p.deleting) acts.push({ key: 'delete', label: 'Delete', danger: true });
    return acts;
  }

  function namespacesCell(p) {
    const td = el('td', { class: 'ns-cell' });
    if (p.namespaces.length === 0) td.append(el('span', { class: 'detail', text: 'No namespaces yet.' }));
    for (const n of p.namespaces) {
      const phase = n.held ? 'Held' : n.phase;
      td.append(el('div', { class: 'ns' + (n.retiring ? ' retiring' : ''), 'data-namespace': n.name, 'data-phase': n.phase, 'data-held': n.held ? 'true' : null },
        el('span', { class: 'env', text: n.environment || '(project)' }),
        el('code', { class: 'ns-name', text: n.name }),
        el('span', { class: 'status ' + (n.held ? 'warn' : (phaseClass[n.phase] || 'muted')), text: phase }),
        n.retiring && !n.held && n.phase !== 'Terminating' ? el('span', { class: 'detail inline', text: 'being removed' }) : null));
    }
    return td;
  }

  function statusCell(p) {
    const td = el('td', { class: 'status-cell' });
    let text = p.deleting ? 'Deleting' : (reasonText[p.reason] || p.reason || 'Pending');
    if (p.ready) text = 'Ready';
    const cls = p.ready ? 'ok' : ({ NamespaceConflict: 'bad', ProjectLimitExceeded: 'bad', OrganizationMissing: 'bad', DeletionNeedsConfirmation: 'warn' }[p.reason] || 'pending');
    td.append(el('span', { class: 'status ' + cls, 'data-reason': p.reason || '', text }));
    if (p.message && !p.ready) td.append(el('span', { class: 'detail message', text: p.message }));
    const h = held(p);
    if (h.length) {
      td.append(el('button', { type: 'button', class: 'btn danger small confirm-btn', 'aria-label': 'Confirm deletion of ' + h.join(', '),
        text: 'Confirm deletion…', onclick: () => pick('confirm', { name: p.name, project: p }) }));
    }
    return td;
  }

  function render() {
    const d = state.data;
    const tbody = $('project-rows');
    tbody.textContent = '';
    if (!d) { $('projects-count').textContent = ''; $('projects-access').textContent = ''; return; }
    $('projects-sub').textContent = 'Projects of ' + d.organization + ': each environment is a namespace where every member has their role\'s access.';
    $('projects-access').textContent = d.role ?
      'You are ' + d.role + ' in ' + d.organization + ': ' + (d.clusterRole || 'no access') + ' in every project namespace.' :
      'You are not a member of ' + d.organization + ': no access in its project namespaces.';
    $('projects-count').textContent = R.plural(d.items.length, 'project', 'projects') +
      (d.maxProjects ? ' of at most ' + d.maxProjects + ' · up to ' + R.plural(d.maxEnvironments, 'environment', 'environments') + ' each' : '');
    if (d.items.length === 0) {
      tbody.append(el('tr', {}, el('td', { colspan: '5', class: 'empty', text: 'No projects yet. + Create Project makes one, with a namespace per environment.' })));
    }
    for (const p of d.items) {
      const name = el('td', { class: 'name-cell' }, el('div', { class: 'name-wrap' },
        el('span', { class: 'avatar project', 'aria-hidden': 'true', text: (p.name[0] || '?').toUpperCase() }),
        el('div', {}, el('span', { class: 'name', text: p.name }), p.displayName ? el('span', { class: 'detail', text: p.displayName }) : null)));
      const accessCell = el('td', {}, el('span', { class: 'pill', text: d.clusterRole || 'none' }),
        el('span', { class: 'detail', text: d.role ? 'as ' + d.role : 'not a member' }));
      const acts = actionsFor(p);
      const actCell = el('td', { class: 'actions-col' });
      if (acts.length) actCell.append(R.menuButton({ kind: 'Project', object: p.name, name: p.name, project: p }, acts, pick));
      const tr = el('tr', { 'data-project': p.name, 'data-ready': p.ready ? 'true' : 'false' }, name, namespacesCell(p), statusCell(p), accessCell, actCell);
      tr.append(el('td', { class: 'row-error-cell', hidden: true }));
      tbody.append(tr);
    }
  }

  async function refresh() {
    const org = R.org();
    if (!org || !shown()) return;
    try {
      const d = await api('/api/projects?' + new URLSearchParams({ org }).toString());
      $('projects-error').hidden = true;
      if (R.menuOpen()) return; // do not pull a menu from under the user
      if (state.data && JSON.stringify(state.data) === JSON.stringify(d)) return;
      const focused = document.activeElement;
      const keep = focused && focused.closest && focused.closest('#project-rows') ? focused.getAttribute('aria-label') : null;
      state.data = d;
      render();
      if (keep) {
        const again = [...document.querySelectorAll('#project-rows [aria-label]')].find((n) => n.getAttribute('aria-label') === keep);
        if (again) again.focus();
      }
    } catch (err) {
      R.showError($('projects-error'), err);
    }
  }

  // Dialogs of this view give the focus back to the row's menu button (or
  // to + Create Project) when they close.
  let returnTo = null;
  function restore() {
    const back = returnTo && [...document.querySelectorAll('#project-rows .menu-btn')].find((n) => n.getAttribute('aria-label') === returnTo);
    (back || $('create-project')).focus();
  }
  $('project-dialog').addEventListener('close', restore);
  $('env-dialog').addEventListener('close', restore);

  function pick(key, e) {
    const p = e.project;
    const org = R.org();
    if (key === 'add-env' || key === 'remove-env') return envDialog(key, p);
    if (key === 'delete') {
      const names = p.namespaces.map((n) => n.name);
      return R.confirmAction(e, 'Delete Project', 'Delete project ' + p.name + ' of ' + org + '? Roster deletes its namespaces' +
        (names.length ? ' (' + names.join(', ') + ')' : '') + '. A namespace that holds workloads, Secrets or ConfigMaps is kept until you confirm its deletion.',
      'Yes, delete', () => api('/api/projects/delete', { org, project: p.name }));
    }
    if (key === 'confirm') {
      const h = held(p);
      return R.confirmAction(e, 'Delete namespaces with their contents', 'Roster holds ' + h.join(', ') + ' of project ' + p.name +
        ' because it holds workloads, Secrets or ConfigMaps (or Kubernetes has not counted them yet). Delete ' + (h.length === 1 ? 'it' : 'them') +
        ' with everything in ' + (h.length === 1 ? 'it' : 'them') + '? This sets orgs.roster.dev/confirm-delete-namespaces on the Project.',
      'Yes, delete ' + (h.length === 1 ? 'it' : 'them'), () => api('/api/projects/confirm-delete', { org, project: p.name, namespaces: h }));
    }
    return undefined;
  }

  // + Create Project: names are checked as they are typed, and nothing is
  // sent while one is malformed.
  function checkForm() {
    const name = $('project-name').value.trim();
    const envs = splitEnvs($('project-envs').value);
    const nameErr = $('project-name').dataset.touched ? nameProblem('project', name) : '';
    let envErr = '';
    const seen = new Set();
    for (const e of envs) {
      envErr = nameProblem('environment', e) || (seen.has(e) ? 'Environment "' + e + '" is listed twice.' : '');
      if (envErr) break;
      seen.add(e);
    }
    for (const [input, node, msg] of [[$('project-name'), $('project-name-error'), nameErr], [$('project-envs'), $('project-envs-error'), envErr]]) {
      node.textContent = msg;
      node.hidden = !msg;
      if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    }
    const org = R.org();
    $('project-namespaces').textContent = name && !nameProblem('project', name) && !envErr ?
      'Namespaces: ' + (envs.length ? envs.map((e) => org + '-' + name + '-' + e).join(', ') : org + '-' + name) : '';
    return { name, envs, ok: !nameProblem('project', name) && !envErr };
  }
  $('project-name').addEventListener('input', () => { $('project-name').dataset.touched = 'true'; checkForm(); });
  $('project-envs').addEventListener('input', checkForm);

  $('create-project').addEventListener('click', () => {
    for (const id of ['project-name', 'project-display', 'project-envs']) $(id).value = '';
    delete $('project-name').dataset.touched;
    $('project-error').hidden = true;
    checkForm();
    returnTo = null;
    $('project-dialog').showModal();
    $('project-name').focus();
  });
  $('project-cancel').addEventListener('click', () => $('project-dialog').close());
  $('project-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('project-name').dataset.touched = 'true';
    const f = checkForm();
    if (!f.ok) { (nameProblem('project', f.name) ? $('project-name') : $('project-envs')).focus(); return; }
    R.submitDialog($('project-dialog'), $('project-error'), ev, async () => {
      const r = await api('/api/projects', { org: R.org(), project: f.name, displayName: $('project-display').value.trim(), environments: f.envs });
      R.notice(r.message);
    });
  });

  // Add environment and Remove environment.
  function envDialog(mode, p) {
    const adding = mode === 'add-env';
    state.envMode = mode;
    state.dialogProject = p;
    returnTo = 'Actions for ' + p.name;
    $('env-title').textContent = adding ? 'ADD ENVIRONMENT' : 'REMOVE ENVIRONMENT';
    $('env-project').textContent = p.name + (p.displayName ? ' · ' + p.displayName : '');
    $('env-name').hidden = !adding;
    $('env-name').value = '';
    $('env-name').removeAttribute('aria-invalid');
    $('env-choice').hidden = adding;
    $('env-choice').textContent = '';
    for (const e of p.environments) $('env-choice').append(el('option', { value: e, text: e }));
    $('env-yes').textContent = adding ? 'Add environment' : 'Remove environment';
    $('env-yes').className = 'btn ' + (adding ? 'primary' : 'danger');
    $('env-error').hidden = true;
    envText();
    $('env-dialog').showModal();
    (adding ? $('env-name') : $('env-choice')).focus();
  }
  function envText() {
    const p = state.dialogProject;
    const org = R.org();
    if (state.envMode === 'add-env') {
      const e = $('env-name').value.trim();
      $('env-text').textContent = e && !nameProblem('environment', e) ? 'Roster creates namespace ' + org + '-' + p.name + '-' + e + '.' : 'Roster creates a namespace for it.';
    } else {
      $('env-text').textContent = 'Roster deletes namespace ' + org + '-' + p.name + '-' + $('env-choice').value +
        '. If it holds workloads, Secrets or ConfigMaps, Roster keeps it until you confirm its deletion.';
    }
  }
  $('env-name').addEventListener('input', () => {
    envText();
    const msg = nameProblem('environment', $('env-name').value.trim());
    if (msg && $('env-name').value !== '') { R.showError($('env-error'), { message: msg }); $('env-name').setAttribute('aria-invalid', 'true'); } else { $('env-error').hidden = true; $('env-name').removeAttribute('aria-invalid'); }
  });
  $('env-choice').addEventListener('change', envText);
  $('env-cancel').addEventListener('click', () => $('env-dialog').close());
  $('env-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = state.dialogProject;
    const adding = state.envMode === 'add-env';
    const env = adding ? $('env-name').value.trim() : $('env-choice').value;
    const msg = nameProblem('environment', env);
    if (msg) { R.showError($('env-error'), { message: msg }); return; }
    R.submitDialog($('env-dialog'), $('env-error'), ev, async () => {
      const r = await api('/api/projects/environments/' + (adding ? 'add' : 'remove'), { org: R.org(), project: p.name, environment: env });
      R.notice(r.message);
    });
  });

  R.on('session', () => { state.data = null; render(); refresh(); });
  R.on('change', refresh);
  function schedule() {
    clearInterval(state.timer);
    const s = R.session();
    const every = (s && s.pollMillis) || Number(document.body.dataset.poll) || 2000;
    state.timer = setInterval(() => { if (!document.hidden) refresh(); }, every);
  }
  R.on('session', schedule);
  if (new URLSearchParams(location.search).get('view') === 'projects') showView('projects', false);
  R.projects = { refresh, showView };
})();
