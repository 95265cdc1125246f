"""Templates of the validation report (package data: ``report.html.j2``)."""
