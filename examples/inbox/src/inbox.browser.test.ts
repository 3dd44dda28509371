import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManualClock } from '@omnidealer/core';
import type { Sandbox } from '@omnidealer/sandbox';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Inbox, startInbox } from './server.js';

/**
 * End to end in a real browser: Debian's Chromium (`apt-get install -y chromium`) driven by playwright-core, which
 * never downloads a browser of its own. Without /usr/bin/chromium (or `CHROMIUM_PATH`) the test is skipped locally and
 * fails under CI=true.
 */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(executablePath);
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const start = Date.parse('2026-03-02T09:00:00Z');
const customer = { from: '+79161234567', name: 'Иван' };

if (!hasChromium && process.env.CI !== 'true') {
  console.warn(`inbox browser test skipped: ${executablePath} is missing (install it with: apt-get install -y chromium)`);
}

describe.runIf(hasChromium || process.env.CI === 'true')('inbox in Chromium', () => {
  const clock = createManualClock(start);
  let inbox: Inbox;
  /** «Север»'s sandbox (WhatsApp and Avito) and «Юг»'s (WhatsApp). */
  let north: Sandbox;
  let south: Sandbox;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`CI=true but ${executablePath} is missing: apt-get install -y chromium`);
    inbox = await startInbox({ seed: 11, clock, tickMs: 150 });
    north = inbox.sandboxes.north!;
    south = inbox.sandboxes.south!;
    userDataDir = await mkdtemp(join(tmpdir(), 'inbox-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      timeout: 20_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(5_000);
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    await inbox?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  /** Waits for the page (SSE and a 150 ms tick) under a loaded machine: up to 5 s per step. */
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 5_000, interval: 50 });
  /** The list row of a chat of one channel kind (`whatsapp`, `avito`). */
  const row = (kind: string, on: Page = page) => on.locator(`#conversations li[data-kind="${kind}"]`);
  const text = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();

  it('shows chats live, replies with a canned answer, turns timers red, queues, hands off and offers templates', async () => {
    await page.goto(`${inbox.url}/?operator=anna`);
    await page.locator('#live[data-state="open"]').waitFor();

    // A WhatsApp customer and an Avito buyer write: both rows appear live with unread counts.
    await north.whatsapp.inbound({ ...customer, text: 'Здравствуйте! Camry ещё продаётся?' });
    clock.advance(20_000);
    const avito = await north.avito.inbound({ text: 'Добрый день! Торг уместен?', buyerName: 'Мария' });
    await north.avito.inbound({ chatId: avito.chatId, text: 'И можно ли в кредит?' });
    const item = north.avito.chats().get(avito.chatId)!.item;
    await poll(() => page.locator('#conversations li').count()).toBe(2);
    await poll(() => row('whatsapp').locator('.unread').textContent()).toBe('1');
    await poll(() => row('avito').locator('.unread').textContent()).toBe('2');
    expect(await row('whatsapp').locator('.name').textContent()).toBe('Иван');

    // Open the Avito chat: the thread shows the listing; opening marks it read.
    await row('avito').click();
    await page.locator('#listing').waitFor();
    expect(await text('#listing .title')).toBe(item.title);
    expect((await text('#listing .price')).replace(/\D/g, '')).toBe(String(item.price));
    const price = await text('#listing .price');
    await poll(() => row('avito').locator('.unread').count()).toBe(0);

    // A canned reply with {model} and {price}: the sandbox receives exactly the filled text.
    await page.locator('#canned button[data-id="in_stock"]').click();
    const expected = `Здравствуйте, Мария! ${item.title} в наличии, цена ${price}. Когда вам удобно приехать на осмотр?`;
    expect(await page.locator('#reply').inputValue()).toBe(expected);
    await page.locator('#send').click();
    await page.locator('#messages li.outbound').waitFor();
    const outgoing = north.avito
      .chats()
      .get(avito.chatId)!
      .messages.filter((message) => message.direction === 'out')
      .map((message) => message.content);
    expect(outgoing).toEqual([{ text: expected }]);
    expect(await text('#messages li.outbound .text')).toBe(expected);
    await poll(() => row('avito').locator('.timer').count()).toBe(0);

    // Past 2 minutes the WhatsApp customer's timer turns red.
    await poll(() => row('whatsapp').locator('.timer.late').count()).toBe(0);
    clock.advance(2 * 60_000);
    await poll(() => row('whatsapp').locator('.timer.late').count()).toBe(1);
    expect(await row('whatsapp').locator('.timer').textContent()).toBe('2:20');

    // Only the "call an operator" button moves a chat to the operators' queue.
    await page.locator('#queues button[data-queue="operators"]').click();
    await poll(() => page.locator('#conversations li').count()).toBe(0);
    await north.whatsapp.inbound({ ...customer, button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } });
    await poll(() => page.locator('#conversations li').count()).toBe(1);
    expect(await page.locator('#conversations li').getAttribute('data-kind')).toBe('whatsapp');
    expect(await row('whatsapp').locator('.owner').textContent()).toBe('queue: Отдел продаж');

    // Hand off to another operator: the history keeps both assignments.
    await row('whatsapp').click();
    await page.locator('#history li').first().waitFor();
    await page.locator('#handoff-target').selectOption('operator:boris');
    // The customer writes again before the click: the live update re-renders the thread, and the pick survives it.
    const shown = await page.locator('#messages li').count();
    await north.whatsapp.inbound({ ...customer, text: 'Я ещё здесь' });
    await poll(() => page.locator('#messages li').count()).toBe(shown + 1);
    await page.locator('#handoff').click();
    await poll(() => page.locator('#history li').count()).toBe(2);
    const history = await page.locator('#history li').allTextContents();
    expect(history[0]).toContain("bot → operators' queue (Отдел продаж)");
    expect(history[1]).toContain('Анна Смирнова → Борис Ковалёв');
    await poll(() => text('#thread-owner')).toBe('Борис Ковалёв');
    expect(north.whatsapp.readMarks().length).toBe(1);

    // After 24 h the free-form reply is blocked: the page says why and offers approved templates.
    expect(await page.locator('#window-closed').count()).toBe(0);
    clock.advance(24 * 3_600_000);
    await page.locator('#window-closed').waitFor();
    expect(await page.locator('#window-closed').getAttribute('data-reason')).toBe('template_required');
    expect(await text('#window-closed')).toContain('customer-service window closed');
    expect(await page.locator('#templates button').count()).toBe(2);
    expect(await page.locator('#reply').count()).toBe(0);

    await page.locator('#queues button[data-queue="all"]').click();
    await poll(() => page.locator('#conversations li').count()).toBe(2);
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'inbox.png'), fullPage: true });

    await page.locator('#templates button[data-name="follow_up"]').click();
    await poll(() => north.whatsapp.messages().length).toBe(1);
    expect(north.whatsapp.messages()[0]).toMatchObject({ type: 'template', template: 'follow_up' });
    await poll(() => page.locator('#messages li.outbound[data-kind="template"]').count()).toBe(1);
  }, 30_000);

  it('keeps each branch to its chats, hands a chat from «Север» to «Юг» with its history, and filters by branch', async () => {
    // Анна (Север) keeps her page; Олег (Юг) opens his in a second window.
    await page.goto(`${inbox.url}/?operator=anna`);
    await page.locator('#live[data-state="open"]').waitFor();
    await poll(() => page.locator('#conversations li').count()).toBe(2);
    expect(await page.locator('#branch-filter').isHidden()).toBe(true);
    const oleg = await context.newPage();
    oleg.setDefaultTimeout(5_000);
    await oleg.goto(`${inbox.url}/?operator=oleg`);
    await oleg.locator('#live[data-state="open"]').waitFor();
    await poll(() => oleg.locator('#empty').isVisible()).toBe(true);
    expect(await oleg.locator('#conversations li').count()).toBe(0);

    // A customer of «Юг» writes to its own number: only Олег's list shows the chat.
    await south.whatsapp.inbound({ from: '+79031112233', name: 'Сергей', text: 'Запишите на ТО' });
    await poll(() => oleg.locator('#conversations li').count()).toBe(1);
    expect(await oleg.locator('#conversations li').getAttribute('data-branch')).toBe('south');
    expect(await page.locator('#conversations li[data-branch="south"]').count()).toBe(0);

    // Анна hands Мария's Avito chat to «Юг», to Олег, with a note. (A background tab gets no animation frames:
    // the window in use is brought to the front, as an operator would.)
    await page.bringToFront();
    await row('avito').click();
    await page.locator('#listing').waitFor();
    const history = await page.locator('#messages li .text').allTextContents();
    expect(history.length).toBe(3);
    await page.locator('#transfer-branch').selectOption('south');
    await page.locator('#transfer-operator').selectOption('oleg');
    await page.locator('#transfer-note').fill('хочет записаться на сервис');
    await page.locator('#transfer').click();
    await poll(() => page.locator('#conversations li').count()).toBe(1);
    expect(await row('avito').count()).toBe(0);
    expect(await text('#placeholder')).toBe('The chat was handed off to Юг.');

    // It reaches Олег live, with every message and the hand-off in its history.
    await poll(() => row('avito', oleg).count()).toBe(1);
    await oleg.bringToFront();
    await row('avito', oleg).click();
    await oleg.locator('#handoffs li').waitFor();
    expect(await oleg.locator('#messages li .text').allTextContents()).toEqual(history);
    expect(await oleg.locator('#handoffs li').textContent()).toContain(
      'Анна Смирнова: Север → Юг (Олег Петров) — хочет записаться на сервис',
    );
    expect((await oleg.locator('#thread-branch').textContent())?.trim()).toBe('Юг');
    expect((await oleg.locator('#thread-owner').textContent())?.trim()).toBe('Олег Петров');
    await oleg.close();
    await page.bringToFront();

    // The group supervisor sees both branches and filters by one; the SLA line has a row per branch.
    await page.goto(`${inbox.url}/?operator=irina`);
    await page.locator('#live[data-state="open"]').waitFor();
    await poll(() => page.locator('#conversations li').count()).toBe(3);
    const filter = page.locator('#branch-filter');
    expect(await filter.isVisible()).toBe(true);
    await filter.selectOption('north');
    await poll(() => page.locator('#conversations li').count()).toBe(1);
    expect(await row('whatsapp').getAttribute('data-branch')).toBe('north');
    await filter.selectOption('south');
    await poll(() => page.locator('#conversations li').count()).toBe(2);
    expect(await page.locator('#conversations li[data-branch="south"]').count()).toBe(2);
    await poll(() => page.locator('#sla span').count()).toBe(3);
    expect(await page.locator('#sla span[data-branch="south"]').textContent()).toContain('Юг: answered');
    await filter.selectOption('');
    await poll(() => page.locator('#conversations li').count()).toBe(3);
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'inbox-group.png'), fullPage: true });
  }, 30_000);
});
