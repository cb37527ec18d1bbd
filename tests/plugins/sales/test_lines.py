"""The shared line editor's reading: form inputs to lines (blank rows dropped, order kept),
texts of a stored line, and the editor's cells carrying their errors."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from plugins.sales.lines.editor import editor_context
from plugins.sales.lines.parsing import LinesRefused, LineValues, line_out, lines_from_form


def test_form_inputs_become_lines_in_order_without_blank_rows():
    form = MultiDict({"lines-10-quantity": "2", "lines-10-product_id": "5",
                      "lines-2-description": "安装费", "lines-2-unit_price": "300",
                      "lines-2-quantity": "1", "lines-3-quantity": "", "lines-3-product_id": "",
                      "lines-x-quantity": "9", "other": "1", "lines-4-evil": "1"})
    assert lines_from_form(form) == [
        {"description": "安装费", "unit_price": "300", "quantity": "1"},
        {"quantity": "2", "product_id": "5"}]


def test_a_line_reads_back_as_the_apis_texts():
    line = LineValues(position=0, product_id=3, description="椅", quantity=2500,
                      unit_price=1999, discount=750, tax_rate=1300,
                      price_includes_tax=False, subtotal=4623, tax=601, total=5224)
    out = line_out(line)
    assert (out["quantity"], out["unit_price"], out["discount_percent"], out["tax_rate"],
            out["subtotal"], out["tax"], out["total"]) == \
        ("2.5", "19.99", "7.5", "13", "46.23", "6.01", "52.24")


def test_refusals_name_the_first_field_and_the_editor_marks_each_cell(sales_app):
    error = LinesRefused({"lines[1].quantity": ["too few"], "lines": ["none"],
                          "lines[2]": ["not an object"]})
    assert error.field == "lines[1].quantity" and "too few" in str(error)
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        context = editor_context(session, [{"quantity": "1"}, {"quantity": "-1"}],
                                 error.errors)
        session.close()
    assert len(context["rows"]) == 3  # the two lines and a blank one
    assert context["rows"][1]["texts"]["quantity"] == "-1"
    assert context["rows"][1]["errors"]["quantity"] == ["too few"]
    assert context["problems"] == ["none", "not an object"]
