"""Paper references, the fetch settings, and what fetching one reference gave."""

from __future__ import annotations

import json
import os
import typing
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from schemas.errors import ConfigError


class PaperMetadata(BaseModel):
    """What a source said about a paper (arXiv, OpenAlex) or what the paper itself gave (its parsed title).

    Only what was given is kept: a field the source left out stays None (or empty), never guessed.
    """

    title: str | None = Field(default=None, description="The title")
    authors: list[str] = Field(default=[], description="The authors' names, in the source's order")
    year: int | None = Field(default=None, description="The year of publication (arXiv: of the first version)")
    venue: str | None = Field(default=None, description="The journal or conference, as the source names it")
    doi: str | None = Field(default=None, description="The DOI (without https://doi.org/)")
    arxiv_id: str | None = Field(default=None, description="The arXiv identifier with its version, e.g. 2101.00001v2")
    licence: str | None = Field(
        default=None, description="The licence the source states for the open copy (e.g. cc-by, or a licence URL)"
    )
    landing_url: str | None = Field(default=None, description="The paper's web page (not the PDF)")
    origin: Literal["arxiv", "openalex", "document"] | None = Field(
        default=None, description="Where the metadata came from: a search API, or the parsed document itself"
    )


class PaperRef(BaseModel):
    """One paper to read: a local path or a URL, with what the source said about it."""

    reference: str = Field(description="The path or URL to read")
    kind: Literal["path", "url"] = Field(description="'path' for a local file, 'url' for a download")
    doi: str | None = Field(default=None, description="The DOI (without https://doi.org/), when the source gave one")
    arxiv_id: str | None = Field(default=None, description="The arXiv identifier with its version, e.g. 2101.00001v2")
    title: str | None = Field(default=None, description="The title, when the source gave one")
    landing_url: str | None = Field(default=None, description="The paper's web page (not the PDF)")
    authors: list[str] = Field(default=[], description="The authors' names, when the source gave them")
    year: int | None = Field(default=None, description="The year of publication, when the source gave it")
    venue: str | None = Field(default=None, description="The journal or conference, when the source gave it")
    licence: str | None = Field(default=None, description="The licence of the open copy, when the source gave it")
    origin: Literal["arxiv", "openalex"] | None = Field(
        default=None, description="The search API that listed this paper (None: a folder or a urls: list)"
    )
    listed_in: str | None = Field(
        default=None,
        description="The urls: list that named this local path; such a path is read only with allow_local_files",
    )

    def metadata(self) -> PaperMetadata | None:
        """What the source said about the paper; None when it said nothing (a folder, a urls: list)."""
        if self.origin is None and not (self.doi or self.arxiv_id or self.title):
            return None
        return PaperMetadata(
            title=self.title,
            authors=self.authors,
            year=self.year,
            venue=self.venue,
            doi=self.doi,
            arxiv_id=self.arxiv_id,
            licence=self.licence,
            landing_url=self.landing_url,
            origin=self.origin,
        )


class FetchSettings(BaseModel):
    """How papers are listed and downloaded; `FetchSettings.from_env()` reads PROPMINE_FETCH_* variables."""

    arxiv_api: str = Field(default="https://export.arxiv.org/api/query", description="The arXiv API query endpoint")
    openalex_api: str = Field(default="https://api.openalex.org/works", description="The OpenAlex works endpoint")
    user_agent: str = Field(
        default="propmine/0.1 (mailto:propmine@example.org)",
        description="User-Agent sent with every request; APIs ask for a way to contact you",
    )
    contact_email: str | None = Field(
        default=None, description="Sent to OpenAlex as `mailto` (its faster 'polite pool')"
    )
    timeout_s: float = Field(default=30.0, gt=0, description="Seconds to wait to connect and between received bytes")
    max_retries: int = Field(
        default=3, ge=0, description="Retries after a timeout, a dropped connection or HTTP 429/500/502/503/504"
    )
    backoff_s: float = Field(
        default=1.0,
        ge=0,
        description="Wait before the first retry, doubled for each further one (a numeric Retry-After wins)",
    )
    min_interval_s: float = Field(
        default=1.0, ge=0, description="Minimum seconds between two requests to the same host"
    )
    host_min_interval_s: dict[str, float] = Field(
        # arXiv's API terms ask for one request every 3 seconds, PDFs included.
        default={"export.arxiv.org": 3.0, "arxiv.org": 3.0},
        description="Longer minimum intervals for particular hosts (the longer of this and min_interval_s applies)",
    )
    max_pdf_mb: float = Field(default=100.0, gt=0, description="Downloads larger than this are stopped and discarded")
    max_results: int = Field(default=100, ge=1, description="At most this many papers from an arXiv or OpenAlex search")
    download_deadline_s: float = Field(
        default=300.0,
        gt=0,
        description="Most seconds one download (or one API call) may take in all, retries and redirects included: "
        "timeout_s only bounds the wait between two bytes, so a server dripping bytes would hold a worker forever",
    )
    allow_private_hosts: bool = Field(
        default=False,
        description="Allow requests to loopback, private, link-local and other non-public addresses "
        "(checked after DNS, on every redirect); off, a page on the web cannot make propmine reach a local service",
        json_schema_extra={"env": "PROPMINE_FETCH_ALLOW_PRIVATE"},
    )
    allow_local_files: bool = Field(
        default=False,
        description="Let a urls: list name local files (paths or file:// URLs); off, a list from elsewhere "
        "cannot make propmine read, and store the text of, files on this machine",
    )

    def interval_for(self, host: str) -> float:
        """The minimum seconds between two requests to this host."""
        return max(self.min_interval_s, self.host_min_interval_s.get(host.lower(), 0.0))

    def allowing(self, private_hosts: bool = False, local_files: bool = False) -> FetchSettings:
        """These settings with the allowances a user passed on the command line turned on (a flag only widens)."""
        return self.model_copy(
            update={
                "allow_private_hosts": self.allow_private_hosts or private_hosts,
                "allow_local_files": self.allow_local_files or local_files,
            }
        )

    @staticmethod
    def env_variable(name: str) -> str:
        """The environment variable for a field: PROPMINE_FETCH_<FIELD>, unless the field names its own."""
        extra = FetchSettings.model_fields[name].json_schema_extra
        custom = extra.get("env") if isinstance(extra, dict) else None
        return custom if isinstance(custom, str) else f"PROPMINE_FETCH_{name.upper()}"

    @classmethod
    def from_env(cls) -> FetchSettings:
        """Settings with every PROPMINE_FETCH_<FIELD> variable applied (a dict field as JSON).

        allow_private_hosts is read from PROPMINE_FETCH_ALLOW_PRIVATE (1/true/yes or 0/false/no).

        Raises:
            ConfigError: a variable that does not parse, named in the message.
        """
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            variable = cls.env_variable(name)
            env = os.environ.get(variable)
            if env is None:
                continue
            try:
                values[name] = json.loads(env) if typing.get_origin(field.annotation) is dict else env
            except json.JSONDecodeError as err:
                raise ConfigError(f"{variable}: not JSON ({err.msg}); write e.g. '{{\"arxiv.org\": 3}}'") from err
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            first = err.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else ""
            variable = cls.env_variable(name) if name in cls.model_fields else "PROPMINE_FETCH_*"
            raise ConfigError(f"{variable}: {first['msg']}") from err


class FetchedPaper(BaseModel):
    """A reference after fetching: a local file with its sha256, or the one-line reason it failed."""

    ref: PaperRef
    path: str | None = Field(default=None, description="The local file (the path itself for a path reference)")
    sha256: str | None = Field(default=None, description="sha256 of the file's bytes: the paper's identity")
    size_bytes: int | None = None
    error: str | None = Field(default=None, description="What went wrong and for which reference, in one line")
    cached: bool = Field(default=False, description="The same bytes were already in the staging folder")
    seconds: float = Field(default=0.0, description="Wall time of the fetch (download or hashing)")
