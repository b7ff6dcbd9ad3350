import type { FastifyInstance } from 'fastify';
import type { Auth } from '../auth.js';
import { html } from '../html.js';
import { all, field, secure, sessionCookie, type Web } from '../web.js';

/** Sign-in (rate limited per address and email) and sign-out. */
export function accountRoutes(app: FastifyInstance, web: Web, auth: Auth): void {
  const { guard, page } = web;
  app.get('/login', async (request, reply) => {
    const error = (request.query as Record<string, string>).error;
    return page(
      reply,
      'Sign in',
      html`${error ? html`<p role="alert">Wrong email or password, or too many attempts; wait and retry.</p>` : ''}
<form method="post" action="/login"><label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button>Sign in</button></form>`,
    );
  });

  app.post('/login', async (request, reply) => {
    const email = field(request.body, 'email').trim().toLowerCase();
    const key = `${request.ip}|${email}`;
    if (auth.isLimited(key)) {
      reply.header('retry-after', '900');
      return page(
        reply,
        'Too many attempts',
        html`<p role="alert">Too many failed sign-ins; wait 15 minutes.</p>`,
        undefined,
        429,
      );
    }
    const sid = auth.login(email, field(request.body, 'password'), key);
    if (!sid) return reply.redirect('/login?error=1', 303);
    const flags = `; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200${secure(request) ? '; Secure' : ''}`;
    reply.header('set-cookie', `${sessionCookie}=${sid}${flags}`);
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    auth.logout(ctx.sid);
    reply.header('set-cookie', `${sessionCookie}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    return reply.redirect('/login', 303);
  });
}
