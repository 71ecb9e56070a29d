// @logto/connector-kakao as Logto's core uses a social connector: getAuthorizationUri, then
// getUserInfo with the callback's code (its own code exchange and POST /v2/user/me).
import createKakaoConnector from "@logto/connector-kakao";
import { main, personLogsIn } from "./person.mjs";

const redirectUri = process.env.CALLBACK_URL;
const config = { clientId: process.env.KAKAO_CLIENT_ID, clientSecret: process.env.KAKAO_CLIENT_SECRET || undefined };

main(async () => {
  const connector = await createKakaoConnector({ getConfig: async () => config });
  const url = await connector.getAuthorizationUri({ state: "logto-state-1", redirectUri }, async () => {});
  const callback = new URL(await personLogsIn(url));
  if (callback.searchParams.get("state") !== "logto-state-1") throw new Error(`state lost: ${callback}`);
  const code = callback.searchParams.get("code");
  const user = await connector.getUserInfo({ code, redirectUri }, async () => ({}));
  return { id: user.id, name: user.name, email: user.email, avatar: user.avatar ?? null };
});
