"""The Kakao sign-up/login service: Tornado over SQLAlchemy 2.0 async.

`service.app.create_app(settings)` builds the application; `python -m service` runs it.
"""
