// Temporary demo entry: an echo page on the in-memory registry (replaced by apps/demo).
import { createServer } from 'node:http';
import { createWebsocketServer, route } from '@orrery/server';

const port = Number(process.env.PORT ?? 3000);
const page = `<!doctype html><meta charset="utf-8"><title>Orrery echo</title>
<h1>Orrery echo</h1><p id="state">connecting…</p><input id="text" autofocus><button id="send">Send</button><ul id="log"></ul>
<script>
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo');
const log = (t) => { const li = document.createElement('li'); li.textContent = t; document.getElementById('log').prepend(li); };
ws.onopen = () => { document.getElementById('state').textContent = 'open'; };
ws.onclose = (e) => { document.getElementById('state').textContent = 'closed ' + e.code; };
ws.onmessage = (e) => log('echo: ' + e.data);
document.getElementById('send').onclick = () => { const i = document.getElementById('text'); ws.send(i.value); i.value = ''; };
</script>`;
const http = createServer((req, res) => {
  if (ws.handleRequest(req, res)) return;
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
});
const ws = createWebsocketServer({
  server: http,
  routes: [route('/echo', {
    init: () => [null, []],
    handleClientMessage: (state, _conn, frame) => [state, [frame]],
    handleServerMessage: (state) => [state, []],
  })],
});
http.listen(port, () => console.log(`Orrery demo on http://localhost:${port}`));
const stop = () => ws.close().then(() => http.close(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
