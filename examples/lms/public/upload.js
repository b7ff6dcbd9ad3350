// Teacher upload: shows the transfer with XHR progress, then polls the background job until it finishes.
const form = document.getElementById('upload');
const bar = document.getElementById('bar');
const status = document.getElementById('status');
function poll(id) {
  fetch(`/teacher/media/jobs/${id}`, { credentials: 'same-origin' })
    .then((reply) => reply.json())
    .then((job) => {
      if (job.status === 'processing') {
        // Video and audio jobs report their transcoding progress; images are done within seconds.
        if (job.progress > 0) bar.value = job.progress;
        status.textContent = job.progress > 0 ? `Transcoding… ${job.progress}%` : 'Optimizing…';
        setTimeout(() => poll(id), 1000);
      } else if (job.status === 'done') {
        bar.value = 100;
        status.textContent = `Done. In a lesson write: ${job.markdown ?? `![description](/media/${job.name})`}`;
      } else status.textContent = `Failed: ${job.error}`;
    });
}
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const file = form.file.files[0];
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/teacher/media');
  xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
  xhr.setRequestHeader('x-csrf-token', form.dataset.csrf);
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 90);
    status.textContent = 'Uploading…';
  };
  xhr.onload = () => {
    const reply = JSON.parse(xhr.responseText);
    if (xhr.status === 202) poll(reply.id);
    else status.textContent = `Refused: ${reply.error ?? xhr.status}`;
  };
  xhr.send(file);
});
