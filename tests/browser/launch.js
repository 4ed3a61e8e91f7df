// The one Chromium launch the browser scripts share: the system Chromium
// (CHROMIUM overrides the path), headless, and nothing that phones home, so
// the scripts can assert that no request leaves the server under test.
const { chromium } = require('playwright-core');

exports.launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
