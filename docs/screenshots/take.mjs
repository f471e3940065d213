// Takes the README's screenshots: the dashboard's resources and metrics and the API's web console
// during a load run, then the trace of one event sent on its own. Run by take.sh, which starts the
// AppHost and the load run.
// Usage: node take.mjs <dashboard login URL> <output directory> <api key>
import { chromium } from 'playwright-core';

const [loginUrl, out, apiKey] = process.argv.slice(2);
const dashboard = new URL(loginUrl).origin;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });

async function shot(name) {
  await page.waitForTimeout(4000); // let the dashboard's live views render
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`${out}/${name}.png`);
}

// The web console, opened first so that its charts gather a history while the dashboard is photographed.
const console_ = await browser.newPage({ viewport: { width: 1600, height: 1400 } });
await console_.goto(`http://localhost:5080/#key=${encodeURIComponent(apiKey)}`);

await page.goto(loginUrl);
await page.waitForURL(url => !url.pathname.startsWith('/login'), { timeout: 60000 });
await page.goto(`${dashboard}/`);
await page.getByText('consumer', { exact: true }).first().waitFor({ timeout: 60000 });
await shot('dashboard-resources');

await page.goto(`${dashboard}/metrics/resource/api?meter=KafkaIngestion.Api&instrument=kafkaingestion.events.accepted&duration=5&view=Graph`);
await shot('dashboard-throughput');
await page.goto(`${dashboard}/metrics/resource/consumer?meter=KafkaIngestion.Consumer&instrument=kafkaingestion.consumer.lag&duration=5&view=Graph`);
await shot('dashboard-lag');

// The console during the load run: one event sent through its form, and a burst from the browser.
await console_.bringToFront();
await console_.locator('#send-button').click();
await console_.locator('#answer-status').waitFor({ timeout: 30000 });
await console_.locator('#burst-mode').selectOption('batch');
await console_.locator('#burst-count').fill('30000');
await console_.locator('#burst-rate').fill('1000');
await console_.locator('#burst-start').click();
await console_.waitForTimeout(10000);
await console_.screenshot({ path: `${out}/console.png` });
console.log(`${out}/console.png`);
await console_.locator('#burst-stop').click();
await console_.close();

// One event's journey, sent when the load run is over so its consumer batch holds it alone.
await fetch('http://localhost:5090/runs/stop', { method: 'POST' });
await page.waitForTimeout(3000);
const answer = await fetch('http://localhost:5080/register_event', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-Api-Key': apiKey },
  body: JSON.stringify({ type: 'order.created', key: 'customer-42', data: { orderId: 1001, amount: 25.5 } }),
});
console.log(`one event: ${answer.status} ${await answer.text()}`);
await page.waitForTimeout(3000);
await page.goto(`${dashboard}/traces`);
await page.waitForTimeout(3000);
await page.locator('input').first().fill('register_event');
await page.waitForTimeout(3000);
await page.getByText('api: POST /register_event').last().click();
await page.waitForTimeout(2000);
await shot('dashboard-trace');

await browser.close();
