"""What the table page makes once per page instead of once per row (issue 18): the row buttons,
the row cells' template, the filter's form class and its empty choices."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils import translation
from django.utils.html import escape

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.views import actions, common

from ..factories import bulk_orders
from .conftest import ws_url

pytestmark = pytest.mark.django_db


def test_each_row_comes_with_its_buttons_made_in_the_readers_language(admin_client):
    bulk_orders(3)
    admin_client.cookies["django_language"] = "it"
    response = admin_client.get(ws_url("orders-workspace"))
    rows = response.context["rows"]
    html = response.content.decode()
    with translation.override("it"):
        labels = [str(action.label) for action in actions.ROW_ACTIONS]
    for row in rows:
        links = row.action_links
        assert [type(link.label) for link in links] == [str] * len(links)
        assert {link.label for link in links} <= set(labels)
        for link in links:
            assert (f'<a class="{link.css_class}" href="{escape(link.href)}">'
                    f'{escape(link.label)}</a>') in html
    view = rows[0].action_links[0]
    assert view.css_class == "btn btn-sm btn-outline-primary"
    assert view.href.endswith(f"/{rows[0].number}/")


def test_include_row_draws_the_template_in_the_loops_context():
    engine = Engine(libraries={"orders_workspace":
                               "oscar_orders_ext.templatetags.orders_workspace"},
                    loaders=[("django.template.loaders.locmem.Loader", {
                        "cell.html": "<td>{{ row }}{% with shown=row %}{% endwith %}</td>"})])
    page = engine.from_string("{% load orders_workspace %}{% for row in rows %}"
                              "{% include_row 'cell.html' %}{% endfor %}{{ shown }}")
    assert page.render(Context({"rows": ["1042", "1043"]})) == "<td>1042</td><td>1043</td>"
    with pytest.raises(TemplateSyntaxError):
        engine.from_string("{% load orders_workspace %}{% include_row cell.html %}")


def test_a_shops_row_cells_still_draw_every_row(admin_client, settings, tmp_path):
    override = tmp_path / "oscar_orders_ext" / "shared" / "table"
    override.mkdir(parents=True)
    (override / "row_cells.html").write_text('<td class="shop-cell">{{ row.number }}</td>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    numbers = [process.number for process in bulk_orders(3)]
    html = admin_client.get(ws_url("orders-workspace")).content.decode()
    for number in numbers:
        assert f'<td class="shop-cell">{number}</td>' in html


def test_the_filter_form_class_is_built_once_and_each_page_keeps_its_own_fields(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    board = common.order_filter_for(request, hidden=("funnel", "stage"))
    table = common.order_filter_for(request)
    assert type(board.form) is type(table.form)
    assert "stage" not in board.form.fields
    assert {"funnel", "stage", "tags"} <= set(table.form.fields)
    assert "stage" in get_template("oscar_orders_ext/shared/filters/fields.html").render(
        {"filter_form": table.form})


def test_no_tag_or_stage_chosen_cleans_to_an_empty_list():
    filters = selectors.OrderFilter(QueryDict("q=x"), queryset=OrderProcess.objects.all())
    assert filters.cleaned_data["tags"] == []
    assert filters.cleaned_data["stage"] == []
