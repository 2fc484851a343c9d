import { render } from 'preact';
import { MApp } from './app';
import './m.css';

const root = document.getElementById('app');
if (root) render(<MApp />, root);

// Installable, and passes already issued still show without a network (the service worker keeps the app shell;
// the codes themselves are in this phone's storage).
if ('serviceWorker' in navigator && location.pathname.startsWith('/m')) {
  navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => undefined);
}
