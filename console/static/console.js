// Live alerts over Server-Sent Events, and verdicts sent without leaving the page.
"use strict";

function follow(list) {
  const status = document.getElementById("direct");
  const source = new EventSource(list.dataset.flux);  // the browser resumes by Last-Event-ID
  source.onopen = () => { status.textContent = "en direct"; status.classList.add("ok"); };
  source.onerror = () => { status.textContent = "reconnexion…"; status.classList.remove("ok"); };
  source.addEventListener("alerte", (event) => {
    const holder = document.createElement("template");
    holder.innerHTML = event.data.trim();  // rendered and escaped by the server's template
    const card = holder.content.firstElementChild;
    if (!card || document.getElementById(card.id)) return;
    document.getElementById("vide")?.remove();
    list.prepend(card);
  });
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form.avis")) return;
  event.preventDefault();
  const data = new FormData(form);
  data.set("verdict", event.submitter.value);
  const state = form.querySelector(".etat");
  state.textContent = "envoi…";
  try {
    const reply = await fetch(form.action, {
      method: "POST", body: data, headers: { Accept: "application/json" },
    });
    const body = await reply.json().catch(() => ({}));
    state.textContent = body.message || (reply.ok ? "Avis envoyé." : `Refusé (${reply.status}).`);
    if (reply.ok) watch(form, state);
  } catch (error) {
    state.textContent = "Avis non envoyé : réseau indisponible.";
  }
});

// After a verdict, ask until the worker has recorded it (about a second under load).
async function watch(form, state) {
  const query = new URLSearchParams({
    audience: form.elements.audience.value, entry_id: form.elements.entry_id.value,
  });
  for (let attempt = 0; attempt < 30; attempt += 1) {
    await new Promise((done) => setTimeout(done, 1000));
    const reply = await fetch(`/alertes/etat?${query}`).catch(() => null);
    const body = reply && reply.ok ? await reply.json() : null;
    if (body && body.recorded) {
      state.textContent = `${state.textContent} ${body.message}`;
      return;
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("alertes");
  if (list && list.dataset.flux) follow(list);
});
