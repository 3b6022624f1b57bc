"""FX rates: upload (JSON, or CSV as people have it) and list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromQuery, Parameter, QueryParameter

from api.auth import REPORTS, WRITERS
from api.controllers.campaigns import Caller, Conn, Limit
from campaigns import service
from campaigns.models import FxRate, FxRateIn, FxStored
from sql.errors import ValidationError

FX_RATE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["day", "base", "quote", "rate"],
    properties={
        "day": Schema(type=OpenAPIType.STRING, format="date", description="The day the rate is for."),  # type: ignore[arg-type]
        "base": Schema(type=OpenAPIType.STRING, pattern="^[A-Za-z]{3}$", description="ISO 4217 code converted from."),
        "quote": Schema(type=OpenAPIType.STRING, pattern="^[A-Za-z]{3}$", description="ISO 4217 code converted to."),
        "rate": Schema(
            type=OpenAPIType.STRING,
            pattern=r"^[0-9]+(\.[0-9]+)?$",
            description="Units of quote per one unit of base, as a decimal string.",
        ),
        "source": Schema(type=OpenAPIType.STRING, description="Where the rate came from (default api)."),
    },
    title="FxRateIn",
)


@dataclass
class FxUploadOperation(Operation):
    """The body is read by hand (JSON or CSV), so its schema is written here."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="A JSON list of rates, or (Content-Type: text/csv) 'day,base,quote,rate' rows or the ECB "
            "euro reference-rate file as published (daily or historical).",
            # text/csv is accepted too but not declared: generated clients (openapi-python-client) warn on it.
            content={
                "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.ARRAY, items=FX_RATE_SCHEMA)),
            },
        )


class FxController(Controller):
    path = "/v1/fx-rates"
    tags = ["campaigns"]

    @post(
        "/",
        operation_id="SetFxRates",
        guards=[WRITERS],
        summary="Store FX rates (JSON, or CSV: day,base,quote,rate or the ECB reference-rate file)",
        operation_class=FxUploadOperation,
    )
    async def set_rates(self, request: Request[Any, Any, Any], conn: Conn, principal: Caller) -> FxStored:
        body = await request.body()
        if request.headers.get("content-type", "").startswith("text/csv"):
            rates = service.parse_fx_csv(body.decode("utf-8", errors="replace"))
        else:
            try:
                rates = msgspec.json.decode(body, type=list[FxRateIn])
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                raise ValidationError(f"body: {e}", field="body") from e
        return FxStored(stored=await service.set_fx(conn, principal.org_id, rates))

    @get("/", operation_id="ListFxRates", guards=[REPORTS], summary="Stored FX rates, newest day first")
    async def list_rates(
        self,
        conn: Conn,
        principal: Caller,
        currency: FromQuery[Annotated[str | None, Parameter(pattern="^[A-Za-z]{3}$", required=False)]] = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        limit: FromQuery[Limit] = 100,
    ) -> list[FxRate]:
        return await service.list_fx(conn, principal.org_id, start, end, currency, limit)
