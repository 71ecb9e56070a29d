"""The original `users` table."""

from __future__ import annotations

from django.db import models


class User(models.Model):
    kakao_id = models.BigIntegerField(unique=True)
    user_name = models.CharField(max_length=50)
    email = models.EmailField(max_length=254, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "users"
