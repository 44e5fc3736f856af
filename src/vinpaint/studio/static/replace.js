// vinpaint studio: the replace step (POST /api/clips/{id}/replace/picture, POST /api/clips/{id}/replace).
// Four clicks on the frame place the surface's corners (drawn as a quad with handles that can be dragged),
// a file input uploads the picture, Preview inserts it on 12 frames around the corners' frame and Run on
// the whole clip; the results show in app.js's result views and downloads.  Uses app.js's globals.

ERROR_PLACES.replace = "replace-error";

const replaceStep = {
  active: false,     // clicks on the frame place corners
  corners: [],       // [{x, y}] in pixels of the video, at most 4
  keyframe: 0,       // the frame the corners are on
  clipId: null,      // the clip they belong to
  picture: null,     // PictureInfo of the uploaded picture
  dragging: -1,      // index of the corner being dragged
};

function replaceReset() {
  replaceStep.corners = [];
  replaceStep.picture = null;
  replaceStep.dragging = -1;
  replaceStep.clipId = state.clip ? state.clip.id : null;
  $("replace-picture").value = "";
  $("replace-picture-info").textContent = "No picture yet.";
}

function replaceHandleRadius() {
  const rect = $("replace-canvas").getBoundingClientRect();
  return 8 * state.clip.width / Math.max(1, rect.width);  // 8 screen pixels, in pixels of the video
}

function replaceDraw() {
  const canvas = $("replace-canvas");
  if (state.clip && state.clip.id !== replaceStep.clipId) replaceReset();
  canvas.hidden = !(state.clip && replaceStep.active);
  const corners = replaceStep.corners;
  const n = corners.length;
  $("replace-corners-info").textContent = n === 0 ? "No corners yet."
    : `${n} of 4 corners on frame ${replaceStep.keyframe}` + (n === 4 ? " (drag a corner to move it)" : "");
  $("replace-corners").classList.toggle("active", replaceStep.active);
  replaceButtons();
  if (!state.clip) return;
  if (canvas.width !== state.clip.width || canvas.height !== state.clip.height) {
    canvas.width = state.clip.width;
    canvas.height = state.clip.height;
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  canvas.dataset.corners = n;
  if (!n || state.frame !== replaceStep.keyframe) return;
  const line = Math.max(1.5, state.clip.width / 400);
  ctx.beginPath();
  corners.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
  if (n === 4) {
    ctx.closePath();
    ctx.fillStyle = "rgba(77, 163, 255, .25)";
    ctx.fill();
  }
  for (const [width, colour] of [[line + 2, "rgba(0,0,0,.7)"], [line, "#4da3ff"]]) {
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  const r = replaceHandleRadius() * 0.7;
  for (const p of corners) {
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
    ctx.fillStyle = "#fff";
    ctx.fill();
    ctx.lineWidth = line;
    ctx.strokeStyle = "#081220";
    ctx.stroke();
  }
}

function replaceButtons() {
  const clip = state.clip;
  const ready = clip && replaceStep.corners.length === 4 && replaceStep.picture;
  const why = !clip ? "open a clip first" : !replaceStep.picture ? "upload the picture first"
    : "place the surface's four corners on a frame first";
  setEnabled("replace-corners", !!clip, "open a clip first");
  setEnabled("replace-clear", !!(clip && replaceStep.corners.length), "no corners to clear");
  setEnabled("replace-preview", !!ready, why);
  setEnabled("replace-run", !!ready, why);
}

function replacePointerDown(event) {
  if (!state.clip || !replaceStep.active || event.button !== 0) return;
  event.preventDefault();
  event.stopPropagation();
  stopPlaying();
  const p = videoPoint(event);
  const corners = replaceStep.corners;
  if (corners.length && state.frame !== replaceStep.keyframe) {
    setFrame(replaceStep.keyframe);  // the corners live on their frame: go back to it
    replaceDraw();
    return;
  }
  const near = corners.findIndex((c) => Math.hypot(c.x - p.x, c.y - p.y) <= replaceHandleRadius());
  if (near >= 0) {
    replaceStep.dragging = near;
    $("replace-canvas").setPointerCapture(event.pointerId);
  } else if (corners.length < 4) {
    if (!corners.length) replaceStep.keyframe = state.frame;
    corners.push(p);
  }
  replaceDraw();
}

function replacePointerMove(event) {
  if (replaceStep.dragging < 0) return;
  replaceStep.corners[replaceStep.dragging] = videoPoint(event);
  replaceDraw();
}

function replacePointerUp() {
  replaceStep.dragging = -1;
}

async function replaceUpload(file) {
  if (!state.clip) return;
  try {
    const info = await api("POST", `/api/clips/${state.clip.id}/replace/picture`, file);
    replaceStep.picture = info;
    $("replace-picture-info").textContent = `${file.name}: ${info.width}×${info.height}${info.alpha ? ", with transparency" : ""}`;
  } catch (e) {
    replaceStep.picture = null;
    $("replace-picture-info").textContent = "No picture yet.";
    showError(e, "replace");
  }
  replaceButtons();
}

async function replaceSubmit(preview) {
  if (!state.clip) return;
  const body = { keyframe: replaceStep.keyframe, corners: replaceStep.corners.map((p) => [p.x, p.y]), preview };
  try {
    const job = await api("POST", `/api/clips/${state.clip.id}/replace`, body);
    replaceStep.active = false;
    replaceDraw();
    watchJob(job, (done) => {
      if (done.state === "failed" || done.state === "interrupted") showError(new Error(describeJob(done)), "replace");
      else afterJob(done);
    });
  } catch (e) { showError(e, "replace"); }
}

function replaceWire() {
  const canvas = $("replace-canvas");
  canvas.addEventListener("pointerdown", replacePointerDown);
  canvas.addEventListener("pointermove", replacePointerMove);
  canvas.addEventListener("pointerup", replacePointerUp);
  canvas.addEventListener("pointercancel", replacePointerUp);
  $("replace-picture").onchange = (e) => { if (e.target.files.length) replaceUpload(e.target.files[0]); };
  $("replace-corners").onclick = () => {
    replaceStep.active = !replaceStep.active;
    if (replaceStep.active) setView("edit");
    replaceDraw();
  };
  $("replace-clear").onclick = () => { replaceStep.corners = []; replaceDraw(); };
  $("replace-preview").onclick = () => replaceSubmit(true);
  $("replace-run").onclick = () => replaceSubmit(false);
  window.addEventListener("resize", replaceDraw);
  // app.js refreshes its buttons whenever the clip, the frame or a job changes: the step follows
  const appUpdateButtons = updateButtons;
  updateButtons = function () { appUpdateButtons(); replaceDraw(); };  // eslint-disable-line no-global-assign
  replaceDraw();
}

replaceWire();
