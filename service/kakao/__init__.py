"""Kakao, as the service sees it over HTTP: the API client, id_token verification against
Kakao's keys, the profile mapping and the unlink webhook's rules."""
