// What the kiosk tests share about a tap's meal, written once: a card
// tapped through the simulation panel with the gateway's tap event, the
// cloud's record of the meal it made, and a second tap in the same meal.
// Which meal window (and day) a tap falls in is the gateway's decision,
// read from its tap event and the cloud's record, never a test's clock: a
// window boundary (in the demo 10:00 and 15:00 Asia/Shanghai, 02:00 and
// 07:00 UTC) or the day's may pass between two taps.
import { check } from './screen.mjs';

// watchTaps collects the tap events as the gateway sends them (its
// /api/events stream, beside the kiosk page's own) into window.egTaps of
// page, from now on.
export function watchTaps(page) {
  return page.evaluate(() => {
    window.egTaps = [];
    const es = new EventSource('/api/events');
    es.addEventListener('tap', (m) => window.egTaps.push(JSON.parse(m.data)));
    return new Promise((ok) => { es.onopen = ok; });
  });
}

// simTap taps card on the kiosk page (watchTaps first) through the
// simulation, once the gateway's 3 s merge of a card's taps is over
// (lastTap: card -> ms of its last tap, shared by the test's pages), and
// returns the gateway's tap event once the page shows its result.
export async function simTap(page, card, lastTap) {
  const wait = (lastTap.get(card) || 0) + 3300 - Date.now();
  if (wait > 0) await page.waitForTimeout(wait);
  const before = await page.evaluate(() => ({ taps: Number(document.body.dataset.taps || 0), events: window.egTaps.length }));
  await page.evaluate((card) => fetch('/api/sim/tap', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ card }) }), card);
  lastTap.set(card, Date.now());
  await page.waitForFunction((b) => Number(document.body.dataset.taps || 0) > b.taps && window.egTaps.length > b.events, before, { timeout: 5000 });
  return page.evaluate(() => window.egTaps[window.egTaps.length - 1]);
}

// cloudMeal returns the cloud's record of the meal of the tap event ev
// (waiting for it to arrive) and all the cloud's meals, after checking
// that the gateway's event and the cloud put it in the same window.
export async function cloudMeal(consoleURL, token, ev) {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(consoleURL + '/api/v1/meals', { headers: { Authorization: `Bearer ${token}` } });
    check(res.ok, `cloud meals: ${res.status}`);
    const meals = await res.json();
    const meal = meals.find((m) => m.event_id === ev.event_id);
    if (meal) {
      check(ev.window === meal.window, `tap ${ev.event_id}: the gateway's event in window ${ev.window}, the cloud's meal in ${meal.window}`);
      return { meal, meals };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`meal ${ev.event_id} never reached the cloud`);
}

// sameMeal: a and b ({day, window}) are one meal.
export const sameMeal = (a, b) => a.day === b.day && a.window === b.window;

// tapAgain taps first's card again in first's meal ({card, day, window}):
// tap() taps the card and returns its result {ev, decision}, mealOf(r)
// that tap's meal ({day, window}, the gateway's and the cloud's). When
// the gateway put the tap in another meal (a boundary passed since the
// first tap), it is that meal's first tap: a line says so (with note(from,
// to) if given), newMeal(r, meal) checks it as such and dismisses it, and
// the card is tapped again, now in that meal (at most 3 times: a one-minute
// window may pass again). It returns the tap {r, meal} and the meal it
// repeats, checked to be the same.
export async function tapAgain(what, first, tap, mealOf, newMeal, note = () => '') {
  let r = await tap();
  let meal = await mealOf(r);
  for (let i = 0; i < 3 && !sameMeal(meal, first); i++) {
    console.log(`${what}: a window boundary passed between two taps (${first.day} ${first.window} -> ${meal.day} ${meal.window}: ${r.decision}${note(first, meal)}); tapping again`);
    await newMeal(r, meal);
    first = { ...first, ...meal };
    r = await tap();
    meal = await mealOf(r);
  }
  check(sameMeal(meal, first), `${what}: a window boundary passed at each of 4 taps, last ${meal.day} ${meal.window}`);
  return { r, meal, first };
}
