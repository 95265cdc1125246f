"""Rendering of the validation report: the HTML page and its inline SVG chart."""
