"""Feedback cases (phản ánh, kiến nghị — issue 17): the working-day calendar, sealed contacts, the
case service (open, handle, rate, reopen, purge), the staff pages, the command line and the API list.

Layer: between app.collect (which opens cases with a response) and app.programme. Never imports
app.collect; a case never points at the response it came from."""
