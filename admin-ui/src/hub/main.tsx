import { render } from 'preact';
import { HubApp } from './app';
import './hub.css';

const root = document.getElementById('app');
if (root) render(<HubApp />, root);
