// <askonce-prompt>: asks, on a site's own page, the question AskOnce's engine says is due
// there — once, never what is known — and disappears. No dependency and no build step:
//
//   <script type="module" src="https://askonce.example/embed/prompt.js"></script>
//   <askonce-prompt moment="article" tags="rust,web" token="…"></askonce-prompt>
//
// `token` is a prompt token (RFC 8693 token exchange at AskOnce's /oauth/token, made by the
// page's server); `page` defaults to this page's path. Events (bubbling, composed):
// askonce:shown, askonce:answered, askonce:skipped, askonce:none (nothing due) and
// askonce:error (detail.status: 401 for an expired or revoked token, 0 unreachable).
// Themed by CSS custom properties on the element or above it (see prompt.css).
//
// Works under a strict host CSP (script-src and connect-src allowing AskOnce, style-src
// allowing AskOnce, require-trusted-types-for 'script'): every element is made with
// createElement and every string set as text or an attribute — never parsed as HTML — and the
// styles come from prompt.css in a <link>, not an inline <style>.

const ORIGIN = new URL(import.meta.url).origin;
const API = `${ORIGIN}/api/prompt`;
let ids = 0;

// An element with attributes and children (strings become text nodes).
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

// An introduction's safe tree (AskOnce's `intro::nodes`): only these tags, links to
// http(s) and mailto addresses.
const INTRO_TAGS = new Set(['p', 'em', 'strong', 'code', 'ul', 'ol', 'li', 'a', 'br']);
function intro(nodes) {
  return nodes.map((n) => {
    if (typeof n === 'string') return n;
    if (!INTRO_TAGS.has(n.tag)) return intro(n.children ?? []);
    const attrs = n.tag === 'a' && /^(https?:|mailto:)/i.test(n.href ?? '') ? { href: n.href, target: '_blank', rel: 'noopener' } : {};
    return h(n.tag, attrs, intro(n.children ?? []));
  });
}

class AskOncePrompt extends HTMLElement {
  static observedAttributes = ['token'];

  connectedCallback() {
    if (!this.shadowRoot) {
      this.attachShadow({ mode: 'open' });
      const sheet = h('link', { rel: 'stylesheet', href: `${ORIGIN}/embed/prompt.css` });
      this.styled = new Promise((done) => {
        sheet.onload = done;
        sheet.onerror = done;
      });
      this.shadowRoot.append(sheet, (this.box = h('div', { part: 'box' })));
    }
    this.load();
  }

  attributeChangedCallback(_name, before, after) {
    // A fresh token (the page's server made a new one) reads the question again.
    if (this.isConnected && this.shadowRoot && before !== after) this.load();
  }

  get place() {
    const page = this.getAttribute('page') ?? (location.pathname + location.search).slice(0, 512);
    return { moment: this.getAttribute('moment') ?? '', tags: this.getAttribute('tags') ?? '', page };
  }

  emit(name, detail = {}) {
    this.dispatchEvent(new CustomEvent(`askonce:${name}`, { bubbles: true, composed: true, detail }));
  }

  // A call to the prompt API: the token as a bearer, never cookies. Resolves to
  // { status, body } (status 0 when AskOnce could not be reached or refused this origin).
  async call(path, body) {
    const init = { credentials: 'omit', headers: { authorization: `Bearer ${this.getAttribute('token') ?? ''}` } };
    if (body) {
      init.method = 'POST';
      init.body = JSON.stringify({ ...this.place, ...body });
      init.headers['content-type'] = 'application/json';
    }
    const url = body ? `${API}/${path}` : `${API}?${new URLSearchParams(this.place)}`;
    try {
      const res = await fetch(url, init);
      return { status: res.status, body: await res.json().catch(() => ({})) };
    } catch {
      return { status: 0, body: {} };
    }
  }

  async load() {
    const run = (this.run = (this.run ?? 0) + 1);
    const { status, body } = await this.call();
    if (run !== this.run) return;
    this.box.replaceChildren();
    if (status !== 200) return this.emit('error', { status, message: body.message ?? 'AskOnce could not be reached' });
    if (!body.prompt) return this.emit('none');
    await this.styled;
    this.stage = body.prompt;
    this.typed = {};
    this.step = 0;
    this.render();
    this.emit('shown', { stage: this.stage.stage });
    this.call('shown', { stage: this.stage.stage });
  }

  fieldsOfStep() {
    const { steps = [], fields } = this.stage;
    return steps.length > 1 ? fields.filter((f) => steps[this.step].includes(f.key)) : fields;
  }

  render(errors = {}, general = '') {
    const s = this.stage;
    const heading = `askonce-${++ids}`;
    const steps = (s.steps ?? []).length;
    const card = h('section', { class: 'card', part: 'card', 'aria-labelledby': heading, 'data-stage': s.stage },
      h('h2', { id: heading }, s.title),
      s.intro && h('div', { class: 'intro' }, intro(s.intro.nodes)),
      steps > 1 && h('p', { class: 'muted' }, `Step ${this.step + 1} of ${steps}`));
    if (s.external_url) {
      const safe = /^https?:/i.test(s.external_url) ? s.external_url : null;
      card.append(h('p', {}, h('a', { class: 'button', href: safe, target: '_top' }, 'Continue to the form')));
    } else {
      const form = h('form', { novalidate: true, onsubmit: (e) => this.submit(e) },
        this.fieldsOfStep().map((f) => this.field(f, errors[f.key])),
        h('p', { class: 'error', role: 'alert' }, general),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'continue' }, 'Continue'),
          this.step > 0 && h('button', { type: 'submit', value: 'back', class: 'secondary', formnovalidate: true }, 'Back')));
      card.append(form);
    }
    if (s.skippable) card.append(h('button', { type: 'button', class: 'link', onclick: () => this.skip() }, 'Skip for now'));
    this.box.replaceChildren(card);
    return card;
  }

  // One question: a label tied to its input, help and error tied by aria-describedby.
  field(f, error) {
    const id = `askonce-${++ids}`;
    const said = this.typed[f.key] ?? [];
    const described = `${id}-help ${id}-error`;
    const invalid = error ? 'true' : false;
    const name = f.key;
    const choice = (type, value, label, checked) =>
      h('label', {}, h('input', { type, name, value, checked: checked || false, required: f.required && type === 'radio' }), ` ${label}`);
    let input;
    if (f.kind === 'consent' || f.kind === 'radio' || f.kind === 'multiselect') {
      const options = f.kind === 'consent' ? [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }] : f.options;
      const type = f.kind === 'multiselect' ? 'checkbox' : 'radio';
      input = h('fieldset', { 'aria-describedby': described, 'aria-invalid': invalid },
        h('legend', {}, f.label),
        f.consent && h('p', { class: 'purpose', 'data-consent-version': f.consent.version }, f.consent.purpose),
        options.map((o) => choice(type, o.value, o.label, said.includes(o.value))));
    } else if (f.kind === 'checkbox') {
      input = h('label', {}, h('input', { id, type: 'checkbox', name, value: 'yes', checked: said.includes('yes'), 'aria-describedby': described, 'aria-invalid': invalid }), ` ${f.label}`);
    } else {
      const common = { id, name, required: f.required, 'aria-describedby': described, 'aria-invalid': invalid, maxlength: f.max_length };
      const types = { email: 'email', phone: 'tel', url: 'url', number: 'number', date: 'date' };
      const control =
        f.kind === 'dropdown'
          ? h('select', common, h('option', { value: '' }, 'Choose…'), f.options.map((o) => h('option', { value: o.value, selected: said.includes(o.value) }, o.label)))
          : f.kind === 'textarea'
            ? h('textarea', common, said[0] ?? '')
            : h('input', { ...common, type: types[f.kind] ?? 'text', value: said[0] ?? '', min: f.min, max: f.max });
      input = [h('label', { for: id }, f.label), control];
    }
    return h('div', { class: 'field', 'data-field': f.key },
      input,
      h('p', { id: `${id}-help`, class: 'help' }, f.help ?? ''),
      h('p', { id: `${id}-error`, class: 'error', role: 'alert' }, error ?? ''));
  }

  // What the step's inputs hold, by field key, as lists (AskOnce reads lists and text alike).
  collect(form) {
    for (const f of this.fieldsOfStep()) {
      const els = [...form.elements].filter((e) => e.name === f.key);
      this.typed[f.key] = els.filter((e) => (e.type === 'checkbox' || e.type === 'radio' ? e.checked : e.value !== '')).map((e) => e.value);
    }
  }

  answers() {
    const out = {};
    for (const f of this.stage.fields) {
      const v = this.typed[f.key] ?? [];
      out[f.key] = f.kind === 'multiselect' ? v : f.kind === 'checkbox' ? v.includes('yes') : (v[0] ?? '');
    }
    return out;
  }

  async submit(event) {
    event.preventDefault();
    const form = event.target;
    const back = event.submitter?.value === 'back';
    this.collect(form);
    const steps = (this.stage.steps ?? []).length;
    if (back) {
      this.step -= 1;
      return this.focusFirst(this.render());
    }
    const last = steps < 2 || this.step === steps - 1;
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    const { status, body } = await this.call('answers', { stage: this.stage.stage, answers: this.answers(), ...(last ? {} : { step: this.step }) });
    if (status === 200 && body.outcome === 'moved') {
      this.step = body.step;
      return this.focusFirst(this.render());
    }
    if (status === 200) return this.done('answered', 'Thanks — noted.');
    if (status === 401 || status === 0) {
      this.box.replaceChildren();
      return this.emit('error', { status, message: body.message ?? 'AskOnce could not be reached' });
    }
    const card = this.render(body.fields ?? {}, body.fields ? '' : (body.message ?? 'Something went wrong. Please try again.'));
    // The first field to fix (a group's first choice), else the message.
    const bad = card.querySelector('[aria-invalid="true"]');
    const target = bad?.matches('fieldset') ? bad.querySelector('input') : bad;
    if (target) target.focus();
    else this.focusFirst(card, '.error[role=alert]:not(:empty)');
  }

  async skip() {
    const { status, body } = await this.call('skip', { stage: this.stage.stage });
    if (status !== 200) {
      this.render({}, body.message ?? 'Something went wrong. Please try again.');
      return;
    }
    this.box.replaceChildren();
    this.emit('skipped', { stage: this.stage.stage });
  }

  done(event, words) {
    const thanks = h('p', { class: 'thanks', part: 'thanks', role: 'status', tabindex: '-1' }, words);
    this.box.replaceChildren(thanks);
    thanks.focus();
    this.emit(event, { stage: this.stage.stage });
    setTimeout(() => thanks.isConnected && this.box.replaceChildren(), 4000);
  }

  focusFirst(root, selector = 'input, select, textarea') {
    const target = root.querySelector(selector);
    if (target) {
      if (!target.matches('input, select, textarea, button')) target.setAttribute('tabindex', '-1');
      target.focus();
    }
  }
}

if (!customElements.get('askonce-prompt')) customElements.define('askonce-prompt', AskOncePrompt);
