/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Tagged template that escapes every interpolation unless it is already {@link Safe}. */
export class Safe {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const parts = Array.isArray(value) ? value : [value];
    out += parts.map((part) => (part instanceof Safe ? part.html : escapeHtml(part ?? ''))).join('');
    out += strings[i + 1] ?? '';
  });
  return new Safe(out);
}

/** The page shell: tiny CSS, no framework, works on a cheap phone. */
export function layout(title: string, body: Safe, user?: { name: string; role: string }, csrf?: string): string {
  const nav = user
    ? html`<nav><a href="/">Courses</a>${user.role !== 'student' ? html` · <a href="/teacher">Class overview</a> · <a href="/teacher/grading">Grading</a> · <a href="/teacher/media">Upload</a>` : ''}
        · ${user.name} (${user.role})
        <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button>Log out</button></form></nav>`
    : html``;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Pi-LMS</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:.5rem}img{max-width:100%;height:auto}
nav{border-bottom:1px solid #ccc;padding:.3rem 0}.inline{display:inline}.chart{min-height:150px}label{display:block;margin:.4rem 0}</style>
</head><body>${nav}<main><h1>${title}</h1>${body}</main></body></html>`.html;
}
