import { render } from 'preact';
import { App } from './app';
import { applyPrefs } from './prefs';
import './styles.css';
import './station.css';

applyPrefs();
const root = document.getElementById('app');
if (root) render(<App />, root);
