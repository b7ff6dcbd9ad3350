import { createServer } from 'node:http';

// Placeholder until the reference LMS (issue 8) lands: proves `npm start` serves HTTP.
const port = Number(process.env.PORT ?? 8080);
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('Pi-LMS: the reference LMS is not built yet; this placeholder proves the server starts.\n');
});
server.listen(port, () => console.log(`Pi-LMS placeholder listening on http://localhost:${port}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close());
