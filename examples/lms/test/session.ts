import type { FastifyInstance } from 'fastify';

/** Signs in through `app.inject` and returns the session cookie (`pilms_sid=…`) for later injected requests. */
export async function sessionCookie(app: FastifyInstance, email: string, password: string): Promise<string> {
  const reply = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email, password }).toString(),
  });
  if (reply.statusCode !== 303) throw new Error(`Login of ${email} answered ${reply.statusCode}`);
  return String(reply.headers['set-cookie']).split(';')[0] as string;
}
