"""The original sign-in view, as it was: one blocking Kakao call per request, then the ORM."""

from __future__ import annotations

import json

import jwt
import requests
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views import View

from bench.baseline.models import User


def kakao_profile(access_token: str) -> dict | None:
    """Kakao's /v2/user/me for this token, or None when Kakao refuses it.

    `requests.get`, not a Session: a new TCP connection for every call, as the original.
    """
    response = requests.get(
        f"{settings.KAKAO_API_URL}/v2/user/me",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=5,
    )
    if response.status_code != 200:
        return None
    return response.json()


class KakaoSignInView(View):
    def get(self, request: HttpRequest) -> JsonResponse:
        access_token = request.headers.get("Authorization")
        if not access_token:
            return JsonResponse({"message": "TOKEN_REQUIRED"}, status=401)
        profile = kakao_profile(access_token)
        if profile is None:
            return JsonResponse({"message": "INVALID_TOKEN"}, status=401)
        kakao_account = profile.get("kakao_account", {})
        kakao_id = profile["id"]
        return JsonResponse(
            {
                "result": {
                    "kakao_id": kakao_id,
                    "user_name": kakao_account.get("profile", {}).get("nickname"),
                    "email": kakao_account.get("email"),
                    "is_user": User.objects.filter(kakao_id=kakao_id).exists(),
                }
            }
        )

    def post(self, request: HttpRequest) -> JsonResponse:
        access_token = request.headers.get("Authorization")
        if not access_token:
            return JsonResponse({"message": "TOKEN_REQUIRED"}, status=401)
        if kakao_profile(access_token) is None:
            return JsonResponse({"message": "INVALID_TOKEN"}, status=401)
        try:
            data = json.loads(request.body)
            # Trusted from the body, never compared with the token's owner: the original's hole.
            user, created = User.objects.get_or_create(
                kakao_id=data["kakao_id"],
                defaults={"user_name": data["user_name"], "email": data["email"]},
            )
        except json.JSONDecodeError:
            return JsonResponse({"message": "INVALID_JSON"}, status=400)
        except KeyError:
            return JsonResponse({"message": "KEYERROR"}, status=400)
        token = jwt.encode({"id": user.id}, settings.SECRET_KEY, algorithm=settings.JWT_ALGORITHM)
        return JsonResponse(
            {"message": "CREATE_ACCOUNT" if created else "LOGIN_SUCCESS", "token": token},
            status=201 if created else 200,
        )


def healthz(request: HttpRequest) -> JsonResponse:
    """Not in the original: lets the bench know the workers are up before it measures."""
    return JsonResponse({"status": "ok"})
