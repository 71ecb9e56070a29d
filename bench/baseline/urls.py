from django.urls import path

from bench.baseline.views import KakaoSignInView, healthz

urlpatterns = [
    path("auth/kakao", KakaoSignInView.as_view()),
    path("healthz", healthz),
]
