// AI tutor chat: streams the answer over server-sent events. Without JS the form opens the raw stream.
const form = document.getElementById('tutor');
const answer = document.getElementById('answer');
form.addEventListener('submit', (event) => {
  event.preventDefault();
  answer.textContent = '…';
  // aria-busy tells screen readers (and tests) when the streamed answer is complete.
  answer.setAttribute('aria-busy', 'true');
  const finish = () => {
    answer.setAttribute('aria-busy', 'false');
    source.close();
  };
  const source = new EventSource(`${form.action}?q=${encodeURIComponent(form.q.value)}`);
  let first = true;
  source.addEventListener('token', (message) => {
    if (first) answer.textContent = '';
    first = false;
    answer.textContent += JSON.parse(message.data);
  });
  source.addEventListener('offline', (message) => {
    answer.textContent = JSON.parse(message.data);
    finish();
  });
  source.addEventListener('done', finish);
  source.onerror = finish;
});
